using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MeshDns.Testing.Upstream;

/// <summary>A throw-away certificate authority and a server certificate it signed, made fresh for each test run.</summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(X509Certificate2 authority, X509Certificate2 server, string directory)
    {
        Authority = authority;
        Server = server;
        Directory = directory;
        AuthorityPemPath = Path.Combine(directory, "ca.pem");
        File.WriteAllText(AuthorityPemPath, authority.ExportCertificatePem());
    }

    /// <summary>The CA (public part); trust it to verify <see cref="Server"/>.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>A server certificate with its private key, valid for <c>dns.peer.test</c> and 127.0.0.1.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>A temporary folder holding <see cref="AuthorityPemPath"/>; removed on dispose.</summary>
    public string Directory { get; }

    public string AuthorityPemPath { get; }

    public const string ServerName = "dns.peer.test";

    /// <summary>Creates a CA and a server certificate for <see cref="ServerName"/> and the loopback addresses.</summary>
    public static TestCertificates Create()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=MeshDns test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var caWithKey = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=" + ServerName, serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(ServerName);
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        using var signed = serverRequest.Create(caWithKey, now.AddMinutes(-5), now.AddDays(1), serial);
        using var withKey = signed.CopyWithPrivateKey(serverKey);

        // Round-trip through PKCS#12 so SslStream on Linux gets a certificate whose key it can use.
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        var authority = X509CertificateLoader.LoadCertificate(caWithKey.Export(X509ContentType.Cert));
        var directory = Path.Combine(Path.GetTempPath(), "meshdns-certs-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        return new TestCertificates(authority, server, directory);
    }

    /// <summary>A self-signed server certificate nobody trusts (for "does not verify" tests).</summary>
    public static X509Certificate2 CreateUntrustedServer()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + ServerName, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(ServerName);
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        using var self = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(self.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
