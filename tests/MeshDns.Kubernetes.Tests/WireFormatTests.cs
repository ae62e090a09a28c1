using System.Text;
using System.Text.Json;
using MeshDns.Kubernetes.Http;
using MeshDns.Kubernetes.Informers;
using MeshDns.Kubernetes.Wire;
using MeshDns.Testing.FakeKubernetes;

namespace MeshDns.Kubernetes.Tests;

/// <summary>Decoding of the real kube-apiserver recordings in shared/recordings.</summary>
public sealed class WireFormatTests
{
    private static readonly KubernetesJsonContext Json = KubernetesJsonContext.Default;
    private static readonly StringPool Pool = new();

    [Fact]
    public void ListServices_Recording_TrimsEveryShape()
    {
        var list = JsonSerializer.Deserialize(Recordings.ReadBytes("list-services-all-namespaces.json"), Json.ListDtoServiceDto)!;
        Assert.Equal("226", list.Metadata!.ResourceVersion);
        Assert.Null(list.Metadata.Continue);
        var services = list.Items!.Select(s => ObjectTrimmer.Trim(s, ObjectTrimOptions.Default, Pool)!).ToDictionary(s => s.Name);

        var web = services["web"];
        Assert.Equal(ServiceType.ClusterIP, web.Type);
        Assert.False(web.IsHeadless);
        Assert.Equal(["10.96.10.10"], web.ClusterIPs.Select(ip => ip.ToString()));
        Assert.Equal(["http/TCP/80", "https/TCP/443", "dns/UDP/53"], web.Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}"));
        Assert.Equal("211", web.ResourceVersion);

        var db = services["db"];
        Assert.True(db.IsHeadless);
        Assert.Empty(db.ClusterIPs);
        Assert.True(db.PublishNotReadyAddresses);

        var ext = services["ext"];
        Assert.Equal(ServiceType.ExternalName, ext.Type);
        Assert.Equal("upstream.example.org", ext.ExternalName);
        Assert.Empty(ext.ClusterIPs);
        Assert.Empty(ext.Ports);

        // Labels not asked for are dropped (app=web is not kept by default).
        Assert.Empty(web.Labels);
    }

    [Fact]
    public void ListEndpointSlices_Recording_ConditionsFollowApiDefaults()
    {
        var list = JsonSerializer.Deserialize(Recordings.ReadBytes("list-endpointslices-all-namespaces.json"), Json.ListDtoEndpointSliceDto)!;
        var slices = list.Items!.Select(s => ObjectTrimmer.Trim(s, Pool)!).ToDictionary(s => s.Name);

        var web4 = slices["web-ipv4"];
        Assert.Equal("web", web4.ServiceName);
        Assert.Equal(EndpointAddressType.IPv4, web4.AddressType);
        var web0 = web4.Endpoints[0];
        Assert.Equal("10.244.1.11", web0.Addresses[0].ToString());
        Assert.Equal(("web-0", "node-1", "zone-a"), (web0.Hostname, web0.NodeName, web0.Zone));
        Assert.Equal(new EndpointTarget("Pod", "dns-test", "web-0"), web0.TargetRef);
        Assert.True(web0.Ready && web0.Serving && !web0.Terminating);
        var web1 = web4.Endpoints[1];
        Assert.True(!web1.Ready && web1.Serving && web1.Terminating);
        Assert.Equal(["http/TCP/8080", "https/TCP/8443", "dns/UDP/5353"], web4.Ports.Select(p => $"{p.Name}/{p.Protocol}/{p.Port}"));

        // web-ipv6 has conditions {"ready":true} only: serving follows ready, terminating defaults to false.
        var web6 = slices["web-ipv6"].Endpoints.Single();
        Assert.Equal(EndpointAddressType.IPv6, slices["web-ipv6"].AddressType);
        Assert.Equal("fd00:244::11", web6.Addresses[0].ToString());
        Assert.True(web6.Ready && web6.Serving && !web6.Terminating);
        Assert.Null(web6.NodeName);

        var db2 = slices["db-abc12"].Endpoints[2];
        Assert.False(db2.Ready || db2.Serving || db2.Terminating);
    }

    [Fact]
    public void EndpointConditions_Omitted_MeansReadyAndServing()
    {
        var slice = JsonSerializer.Deserialize(
            """{"metadata":{"name":"s","namespace":"n","labels":{"kubernetes.io/service-name":"svc"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}],"ports":[{"port":80}]}"""u8,
            Json.EndpointSliceDto)!;
        var endpoint = ObjectTrimmer.Trim(slice, Pool)!.Endpoints.Single();
        Assert.True(endpoint.Ready && endpoint.Serving && !endpoint.Terminating);
        Assert.Equal("TCP", ObjectTrimmer.Trim(slice, Pool)!.Ports.Single().Protocol);
    }

    [Fact]
    public void ListNamespaces_Recording_KeepsAllLabels()
    {
        var list = JsonSerializer.Deserialize(Recordings.ReadBytes("list-namespaces.json"), Json.ListDtoNamespaceDto)!;
        var namespaces = list.Items!.Select(n => ObjectTrimmer.Trim(n, Pool)!).ToDictionary(n => n.Name);
        Assert.Equal(5, namespaces.Count);
        Assert.Equal("dns-fixtures", namespaces["dns-test"].Labels["purpose"]);
        Assert.Equal("cluster-a", namespaces["dns-test"].Labels["cluster"]);
    }

    [Fact]
    public void ListPods_Recording_KeepsIPsOnly()
    {
        var list = JsonSerializer.Deserialize(Recordings.ReadBytes("list-pods-all-namespaces.json"), Json.ListDtoPodDto)!;
        var pods = list.Items!.Select(p => ObjectTrimmer.Trim(p, Pool)!).ToDictionary(p => p.Name);
        Assert.Equal("10.244.1.21", pods["db-0"].IPs.Single().ToString());
        Assert.False(pods["db-0"].IsDeleting);
    }

    [Theory]
    [InlineData("list-pods-page1-limit2.json", 2, true, 3L)]
    [InlineData("list-pods-page2-limit2-continue.json", 2, true, 1L)]
    [InlineData("list-pods-page3-limit2-last.json", 1, false, null)]
    [InlineData("list-pods-rv0-limit2-limit-ignored.json", 5, false, null)]
    public void ListPage_Recording_ContinueAndRemaining(string file, int items, bool hasContinue, long? remaining)
    {
        var list = JsonSerializer.Deserialize(Recordings.ReadBytes(file), Json.ListDtoPodDto)!;
        Assert.Equal(items, list.Items!.Count);
        Assert.Equal(hasContinue, list.Metadata!.Continue is not null);
        Assert.Equal(remaining, list.Metadata.RemainingItemCount);
    }

    [Fact]
    public void WatchServices_Recording_DecodesEachEventAndBookmarks()
    {
        var type = ResourceTypes.Services(ObjectTrimOptions.Default, Pool);
        var seen = new List<string>();
        foreach (var line in Lines("watch-services-added-modified-deleted-bookmark.jsonl"))
        {
            Assert.True(WatchEventDecoder.TryDecode(line, out var eventType, out var start, out var length, out var error), error);
            var (item, rv) = type.Decode(line.AsSpan(start, length));
            seen.Add($"{eventType}:{(item as ServiceInfo)?.Name ?? "-"}:{rv}");
        }

        Assert.Equal(["Added:api:228", "Modified:api:231", "Deleted:api:233", "Bookmark:-:233", "Bookmark:-:233"], seen);
    }

    [Fact]
    public void WatchEndpointSlices_Recording_BookmarkHasNoObject()
    {
        var type = ResourceTypes.EndpointSlices(Pool);
        var lines = Lines("watch-endpointslices-added-modified-deleted-bookmark.jsonl");
        Assert.True(WatchEventDecoder.TryDecode(lines[1], out _, out var start, out var length, out _));
        var modified = (EndpointSliceInfo)type.Decode(lines[1].AsSpan(start, length)).Object!;
        Assert.Equal(2, modified.Endpoints.Length);
        Assert.True(modified.Endpoints[1].Terminating);
        Assert.True(WatchEventDecoder.TryDecode(lines[^1], out var bookmark, out start, out length, out _));
        Assert.Equal(WatchEventType.Bookmark, bookmark);
        Assert.Equal((null, "232"), type.Decode(lines[^1].AsSpan(start, length)));
    }

    [Fact]
    public void WatchTooOld_Recording_IsErrorEventWithStatus410Expired()
    {
        var line = Lines("watch-services-too-old-rv-410.jsonl").Single();
        Assert.True(WatchEventDecoder.TryDecode(line, out var type, out var start, out var length, out _));
        Assert.Equal(WatchEventType.Error, type);
        var status = KubernetesApiClient.TryParseStatus(line.AsSpan(start, length))!;
        Assert.Equal((410, "Expired"), (status.Code, status.Reason));
    }

    [Theory]
    [InlineData("error-401-unauthorized-bad-token.json", 401, "Unauthorized", null)]
    [InlineData("error-403-forbidden-dns-reader-list-secrets.json", 403, "Forbidden", null)]
    [InlineData("list-services-rv-too-large-504.json", 504, "Timeout", 1)]
    [InlineData("list-pods-continue-after-compaction-410.json", 410, "Expired", null)]
    [InlineData("list-services-exact-rv-compacted-410.json", 410, "Expired", null)]
    public void StatusBodies_Recordings_Parse(string file, int code, string reason, int? retryAfter)
    {
        var status = KubernetesApiClient.TryParseStatus(Recordings.ReadBytes(file))!;
        Assert.Equal((code, reason, retryAfter), (status.Code!.Value, status.Reason, status.Details?.RetryAfterSeconds));
    }

    [Fact]
    public void WatchEventDecoder_PropertyOrderAndWhitespace_DoNotMatter()
    {
        var line = """  { "object" : {"kind":"Namespace","metadata":{"name":"x","resourceVersion":"9"}} , "type" : "MODIFIED" }  """u8.ToArray();
        Assert.True(WatchEventDecoder.TryDecode(line, out var type, out var start, out var length, out _));
        Assert.Equal(WatchEventType.Modified, type);
        var (item, rv) = ResourceTypes.Namespaces(Pool).Decode(line.AsSpan(start, length));
        Assert.Equal(("x", "9"), (((NamespaceInfo)item!).Name, rv));
    }

    [Theory]
    [InlineData("<html><body>502 Bad Gateway</body></html>")]
    [InlineData("{\"type\":\"ADDED\",\"object\":{\"metadata\":")]
    [InlineData("{\"type\":\"ADDED\"}")]
    [InlineData("{\"type\":\"UPSERTED\",\"object\":{}}")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"type\":\"ADDED\",\"object\":{}} {\"type\":\"ADDED\",\"object\":{}}")]
    public void WatchEventDecoder_Garbage_IsRejected(string line)
    {
        Assert.False(WatchEventDecoder.TryDecode(Encoding.UTF8.GetBytes(line), out _, out _, out _, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Annotations_HugeValue_IsDroppedWithoutFailing()
    {
        var huge = new string('x', ShortStringMapConverter.MaxValueBytes + 10);
        var json = "{\"metadata\":{\"name\":\"s\",\"namespace\":\"n\",\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"" + huge
            + "\",\"meshdns.io/weight\":\"5\"}},\"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.0.0.1\"}}";
        var service = ObjectTrimmer.Trim(JsonSerializer.Deserialize(json, Json.ServiceDto)!, ObjectTrimOptions.Default, Pool)!;
        Assert.Equal("5", Assert.Single(service.Annotations).Value);
    }

    [Fact]
    public async Task LineReader_ChunkedRecording_EveryReadSizeGivesSameEvents()
    {
        // The raw HTTP/1.1 recording: de-chunk it, then read it back through every read size.
        var raw = Recordings.Read("watch-namespaces-http1.1-raw-chunked-modified-bookmark.txt").Replace("\r\n", "\n", StringComparison.Ordinal);
        var body = new StringBuilder();
        var reader = new StringReader(raw);
        while (reader.ReadLine() is { } sizeLine)
        {
            if (sizeLine.Length == 0)
            {
                continue;
            }

            var size = Convert.ToInt32(sizeLine.Trim(), 16);
            if (size == 0)
            {
                break;
            }

            var chunk = new char[size];
            reader.ReadBlock(chunk, 0, size);
            body.Append(chunk);
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        for (var readSize = 1; readSize <= bytes.Length; readSize += readSize < 40 ? 1 : 37)
        {
            using var lines = new LineReader(new TrickleStream(bytes, readSize), 1 << 20);
            var types = new List<WatchEventType>();
            while (await lines.ReadLineAsync(CancellationToken.None) is { } line)
            {
                Assert.True(WatchEventDecoder.TryDecode(line.Span, out var type, out _, out _, out var error), error);
                types.Add(type);
            }

            Assert.Equal([WatchEventType.Modified, WatchEventType.Bookmark, WatchEventType.Bookmark], types);
        }
    }

    [Fact]
    public async Task LineReader_LineLongerThanLimit_Throws()
    {
        var bytes = Encoding.UTF8.GetBytes(new string('a', 100_000) + "\n");
        using var lines = new LineReader(new MemoryStream(bytes), 64 * 1024);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await lines.ReadLineAsync(CancellationToken.None));
    }

    private static List<byte[]> Lines(string file) =>
        [.. Recordings.Read(file).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Encoding.UTF8.GetBytes)];

    /// <summary>A stream that returns at most a few bytes per read, like a slow network.</summary>
    private sealed class TrickleStream(byte[] data, int maxRead) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, maxRead), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
