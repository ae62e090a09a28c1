using MeshDns.Server.Hosting;

namespace MeshDns.Plugins.Tests.Support;

/// <summary>GETs against the operational endpoints, on the port the OS picked, always with a timeout.</summary>
public static class Http
{
    public static async Task<(int Status, string Body, string? ContentType)> GetAsync(MeshDnsServices services, string address, string path)
    {
        ArgumentNullException.ThrowIfNull(services);
        var bound = services.Http.GetBoundUris(address);
        Assert.NotEmpty(bound);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.GetAsync(new Uri(bound[0], path));
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString());
    }
}
