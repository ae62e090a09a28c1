using MeshDns.Plugins.Cache;
using MeshDns.Protocol;
using MeshDns.Server;
using MeshDns.Server.Hosting;
using MeshDns.Server.Metrics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MeshDns.Plugins.Tests.Cache;

/// <summary>A clock tests move by hand; timestamps are in ticks.</summary>
internal sealed class ManualClock : TimeProvider
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private long _ticks = TimeSpan.TicksPerDay;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => Start.AddTicks(Interlocked.Read(ref _ticks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>A canned answer in presentation format.</summary>
public sealed record Canned(
    DnsResponseCode Rcode,
    string[] Answer,
    string[]? Authority = null,
    string[]? Additional = null,
    DnsHeaderFlags Flags = DnsHeaderFlags.AA | DnsHeaderFlags.RA)
{
    public static Canned NoError(params string[] answer) => new(DnsResponseCode.NoError, answer);

    public static Canned NxDomain(string soa) => new(DnsResponseCode.NXDomain, [], [soa]);
}

/// <summary>
/// The plugin after the cache in handler tests: answers from a table of canned responses (NXDOMAIN with an SOA for
/// anything else), counts calls per question, and can be told to fail, throw or wait.
/// </summary>
internal sealed class StubUpstream : DnsHandler
{
    public const string DefaultSoa = "example.org. 3600 IN SOA ns.example.org. hostmaster.example.org. 1 7200 1800 86400 60";

    private readonly Lock _gate = new();
    private readonly Dictionary<(string, DnsRecordType), Canned> _answers = [];
    private readonly Dictionary<(string, DnsRecordType), int> _calls = [];
    private int _total;

    public override string Name => "stub";

    /// <summary>Return SERVFAIL without writing (what forward does when no upstream answers).</summary>
    public bool Fail { get; set; }

    /// <summary>Throw from the handler.</summary>
    public bool Throw { get; set; }

    /// <summary>Complete asynchronously after this task.</summary>
    public Task? Gate { get; set; }

    /// <summary>Runs inside the handler before answering (to publish a name change mid-request).</summary>
    public Action? During { get; set; }

    public int TotalCalls => Volatile.Read(ref _total);

    public void Set(string name, DnsRecordType type, Canned answer)
    {
        lock (_gate)
        {
            _answers[(name.ToLowerInvariant(), type)] = answer;
        }
    }

    public int Calls(string name, DnsRecordType type)
    {
        lock (_gate)
        {
            return _calls.GetValueOrDefault((name.ToLowerInvariant(), type));
        }
    }

    public override ValueTask<PluginResult> ServeAsync(DnsRequestContext context)
    {
        return Gate is { } gate ? AfterAsync(gate, context) : ValueTask.FromResult(Serve(context));
    }

    private async ValueTask<PluginResult> AfterAsync(Task gate, DnsRequestContext context)
    {
        await gate.ConfigureAwait(false);
        return Serve(context);
    }

    private PluginResult Serve(DnsRequestContext context)
    {
        var name = context.GetQuestionName().ToString().ToLowerInvariant();
        Canned? canned;
        lock (_gate)
        {
            _calls[(name, context.QuestionType)] = _calls.GetValueOrDefault((name, context.QuestionType)) + 1;
            _answers.TryGetValue((name, context.QuestionType), out canned);
        }

        Interlocked.Increment(ref _total);
        During?.Invoke();
        if (Throw)
        {
            throw new InvalidOperationException("stub upstream exploded");
        }

        if (Fail)
        {
            return PluginResult.Failure(DnsResponseCode.ServFail, Name, "no upstream");
        }

        canned ??= Canned.NxDomain(DefaultSoa);
        var response = context.Response;
        response.ResponseCode = canned.Rcode;
        response.Flags |= canned.Flags;
        response.Answers.AddRange(canned.Answer.Select(ResourceRecord.Parse));
        response.Authorities.AddRange((canned.Authority ?? []).Select(ResourceRecord.Parse));
        response.Additionals.AddRange((canned.Additional ?? []).Select(ResourceRecord.Parse));
        context.WriteResponse(Name);
        return PluginResult.Success;
    }
}

/// <summary>A cache handler in front of a <see cref="StubUpstream"/>, driven through a real <see cref="RequestProcessor"/> so replies are encoded as a client sees them.</summary>
internal sealed class CacheFixture : IDisposable
{
    public const string Server = "dns://:53";

    private readonly RequestProcessor _processor;

    public CacheFixture(CacheOptions? options = null, DnsHandler? next = null)
    {
        Options = options ?? new CacheOptions();
        Cache = new ResponseCache(Options, Clock, new CacheMetrics(Metrics, string.Join(",", Options.Zones.Select(z => z.ToString()))));
        Handler = new CacheHandler(next ?? Upstream, Cache, NullLogger.Instance);
        Cache.Start(Feed);
        var block = new ServerBlockRuntime("dns://.:53", [DnsName.Root], Handler, ["cache", "stub"]);
        _processor = new RequestProcessor(Server, new ZoneRouter([block]), NullLogger.Instance);
    }

    public CacheOptions Options { get; }

    public ManualClock Clock { get; } = new();

    public StubUpstream Upstream { get; } = new();

    public MetricsRegistry Metrics { get; } = new();

    public NameChangeFeed Feed { get; } = new();

    internal ResponseCache Cache { get; }

    public CacheHandler Handler { get; }

    public static DnsMessage CreateQuery(string name, DnsRecordType type, bool dnssecOk = false, bool checkingDisabled = false, bool edns = false, bool authenticData = false)
    {
        var query = DnsMessage.CreateQuery(DnsName.Parse(name), type, (ushort)Random.Shared.Next(1, ushort.MaxValue));
        if (edns || dnssecOk)
        {
            query.EnableEdns().DnssecOk = dnssecOk;
        }

        query.SetFlag(DnsHeaderFlags.CD, checkingDisabled);
        query.SetFlag(DnsHeaderFlags.AD, authenticData);
        return query;
    }

    public Task<DnsMessage> QueryAsync(string name, DnsRecordType type = DnsRecordType.A, bool dnssecOk = false, bool checkingDisabled = false, bool edns = false, bool authenticData = false) =>
        QueryAsync(CreateQuery(name, type, dnssecOk, checkingDisabled, edns, authenticData));

    public async Task<DnsMessage> QueryAsync(DnsMessage query)
    {
        var context = new DnsRequestContext();
        var buffer = new byte[65535];
        var length = await _processor.ProcessAsync(context, query.ToArray(), DnsTransport.Tcp, buffer);
        Assert.True(length > 0, "no reply");
        return Testing.Dns.DnsTestClient.ParseReply(query, buffer[..length]);
    }

    /// <summary>Waits (bounded) until background refreshes have finished.</summary>
    public async Task SettleAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Handler.WaitForRefreshesAsync(timeout.Token);
    }

    /// <summary>The value of one sample of the exposition, or 0 when absent.</summary>
    public double Sample(string name, params (string Label, string Value)[] labels)
    {
        var text = Metrics.Serialize();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal) && !line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                continue;
            }

            if (labels.All(l => line.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public void Dispose()
    {
        Cache.Stop();
        Handler.Dispose();
    }
}
