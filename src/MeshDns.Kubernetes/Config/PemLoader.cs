using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MeshDns.Kubernetes;

/// <summary>Reads PEM certificates and keys; errors name where the data came from and never include it.</summary>
internal static class PemLoader
{
    internal static string ReadFile(string path, string description, string field)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"{description}: {field}: cannot read {path}: {ex.Message}", ex);
        }
    }

    internal static string DecodeBase64(string data, string where)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(data.Trim()));
        }
        catch (FormatException ex)
        {
            throw new KubeConfigException($"{where}: not valid base64", ex);
        }
    }

    internal static X509Certificate2Collection LoadAuthorities(string pem, string where)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new KubeConfigException($"{where}: not a PEM certificate bundle ({ex.GetType().Name})", ex);
        }

        if (collection.Count == 0)
        {
            throw new KubeConfigException($"{where}: no PEM certificate found");
        }

        return collection;
    }

    internal static X509Certificate2 LoadClientCertificate(string certificatePem, string keyPem, string where)
    {
        if (!certificatePem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw new KubeConfigException($"{where}: the client certificate is not a PEM certificate");
        }

        if (!keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new KubeConfigException($"{where}: the client key is not a PEM private key (PKCS#1, PKCS#8 or SEC1)");
        }

        try
        {
            return X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (CryptographicException ex)
        {
            // The message of CreateFromPem never contains key material, but say it in our words anyway.
            throw new KubeConfigException($"{where}: the client key does not match the client certificate, or cannot be read ({ex.Message})", ex);
        }
        catch (ArgumentException ex)
        {
            throw new KubeConfigException($"{where}: the client certificate or key cannot be read ({ex.GetType().Name})", ex);
        }
    }
}
