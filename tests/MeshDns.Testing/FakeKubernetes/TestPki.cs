using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MeshDns.Testing.FakeKubernetes;

/// <summary>How a generated private key is written out (each is a PEM form kubeconfigs meet in practice).</summary>
public enum TestKeyFormat
{
    /// <summary>RSA, "BEGIN RSA PRIVATE KEY" (PKCS#1).</summary>
    RsaPkcs1,

    /// <summary>RSA, "BEGIN PRIVATE KEY" (PKCS#8).</summary>
    RsaPkcs8,

    /// <summary>EC P-256, "BEGIN EC PRIVATE KEY" (SEC1).</summary>
    EcSec1,

    /// <summary>EC P-256, "BEGIN PRIVATE KEY" (PKCS#8).</summary>
    EcPkcs8,
}

/// <summary>A certificate with its PEM text and its key's PEM text.</summary>
public sealed record TestCertificate(X509Certificate2 Certificate, string CertificatePem, string KeyPem);

/// <summary>
/// A throwaway certificate authority made in the test: a CA, server certificates for 127.0.0.1/localhost, and client
/// certificates (CN = user, O = groups, as Kubernetes reads them).
/// </summary>
public sealed class TestPki : IDisposable
{
    // EC P-256 keys for the CA and servers: generating RSA keys costs a noticeable share of a test run.
    private readonly ECDsa _caKey;

    private TestPki(string name)
    {
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        CaCertificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        CaPem = CaCertificate.ExportCertificatePem();
    }

    public static TestPki Create(string name = "meshdns-test-ca") => new(name);

    public X509Certificate2 CaCertificate { get; }

    public string CaPem { get; }

    /// <summary>A TLS server certificate (with private key, usable by Kestrel) valid for the given DNS names and IPs.</summary>
    public X509Certificate2 IssueServerCertificate(params string[] names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={(names.Length > 0 ? names[0] : "localhost")}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names.Length > 0 ? names : ["localhost", "127.0.0.1"])
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = Sign(request);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A client certificate for <paramref name="user"/> in <paramref name="groups"/>, with its key in the given PEM form.</summary>
    public TestCertificate IssueClientCertificate(string user, TestKeyFormat format = TestKeyFormat.RsaPkcs8, params string[] groups)
    {
        var subject = "CN=" + user + string.Concat(groups.Select(g => ", O=" + g));
        AsymmetricAlgorithm key = format is TestKeyFormat.EcSec1 or TestKeyFormat.EcPkcs8 ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        try
        {
            var request = key is ECDsa ec
                ? new CertificateRequest(subject, ec, HashAlgorithmName.SHA256)
                : new CertificateRequest(subject, (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
            var certificate = Sign(request);
            var keyPem = format switch
            {
                TestKeyFormat.RsaPkcs1 => ((RSA)key).ExportRSAPrivateKeyPem(),
                TestKeyFormat.EcSec1 => ((ECDsa)key).ExportECPrivateKeyPem(),
                _ => key.ExportPkcs8PrivateKeyPem(),
            };
            return new TestCertificate(certificate, certificate.ExportCertificatePem(), keyPem);
        }
        finally
        {
            key.Dispose();
        }
    }

    /// <summary>True if <paramref name="certificate"/> was issued by this CA.</summary>
    public bool Issued(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(CaCertificate);
        return chain.Build(certificate);
    }

    private X509Certificate2 Sign(CertificateRequest request)
    {
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        var now = DateTimeOffset.UtcNow;
        return request.Create(CaCertificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), now.AddDays(-1), now.AddDays(7), serial);
    }

    public void Dispose()
    {
        _caKey.Dispose();
        CaCertificate.Dispose();
    }
}
