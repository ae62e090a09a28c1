using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MeshDns.Plugins.Forward;
using MeshDns.Plugins.Loop;
using MeshDns.Plugins.Whoami;
using MeshDns.Protocol;
using MeshDns.Server.Plugins;
using MeshDns.Server.Transport;
using MeshDns.Testing.Dns;
using MeshDns.Testing.Upstream;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace MeshDns.FunctionalTests.Forward;

/// <summary>The real server started from a Corefile, forwarding to in-process upstreams on loopback.</summary>
public sealed class ForwardServerTests(ITestOutputHelper output)
{
    private const string Www = "www.example.org. 300 IN A 192.0.2.1";

    private static readonly ForwardTimeouts Fast = new()
    {
        Read = TimeSpan.FromMilliseconds(500),
        Request = TimeSpan.FromSeconds(2),
        MinDial = TimeSpan.FromMilliseconds(300),
        MaxDial = TimeSpan.FromSeconds(1),
        HealthCheck = TimeSpan.FromMilliseconds(200),
    };

    private static readonly LoopTimings FastLoop = new()
    {
        Deadline = TimeSpan.FromSeconds(10),
        RetryDelay = TimeSpan.FromMilliseconds(200),
        DisableAfter = TimeSpan.FromMilliseconds(500),
        ProbeTimeout = TimeSpan.FromSeconds(3),
    };

    [Fact]
    public async Task Forward_UdpAndTcp_AnswersWithClientSpellingAndTruncatesForSmallClients()
    {
        var big = Enumerable.Range(1, 40).Select(i => $"big.example.org. 60 IN A 192.0.2.{i}").ToArray();
        await using var upstream = await FakeUpstreamServer.StartAsync(q => q.Name == "big.example.org."
            ? FakeReply.For(q, DnsResponseCode.NoError, big)
            : FakeUpstreamServer.ZoneHandler(Www)(q));
        await using var server = await StartAsync($".:0 {{\n forward . {upstream.Address}\n}}");

        var udp = await DnsTestClient.QueryUdpAsync(server.Endpoint, DnsMessage.CreateQuery(DnsName.Parse("WWW.example.ORG."), DnsRecordType.A, 4242));
        var tcp = await server.QueryAsync("www.example.org.", DnsRecordType.A, tcp: true);
        var truncated = await server.QueryAsync("big.example.org.", DnsRecordType.A);
        var whole = await server.QueryAsync("big.example.org.", DnsRecordType.A, tcp: true);
        var missing = await server.QueryAsync("missing.example.org.", DnsRecordType.A);

        RecordAssert.Response(udp, DnsResponseCode.NoError, [Www]);
        Assert.Equal("WWW.example.ORG.", udp.Questions[0].Name.ToString());
        Assert.True(udp.RecursionAvailable);
        RecordAssert.Response(tcp, DnsResponseCode.NoError, [Www]);
        Assert.True(truncated.Truncated);
        Assert.True(truncated.Answers.Count < 40);
        Assert.Equal(40, whole.Answers.Count);
        Assert.Equal(DnsResponseCode.NXDomain, missing.ResponseCode);
    }

    [Fact]
    public async Task Forward_Tls_AnswersThroughVerifiedConnection()
    {
        using var certificates = TestCertificates.Create();
        await using var upstream = await FakeUpstreamServer.StartAsync(FakeUpstreamServer.ZoneHandler(Www), certificates.Server);
        await using var server = await StartAsync($".:0 {{\n forward . tls://{upstream.TlsAddress} {{\n  tls {certificates.AuthorityPemPath}\n  tls_servername {TestCertificates.ServerName}\n }}\n}}");

        var answer = await server.QueryAsync("www.example.org.", DnsRecordType.A);

        RecordAssert.Response(answer, DnsResponseCode.NoError, [Www]);
        Assert.All(upstream.ClientQueries, q => Assert.Equal(FakeTransport.Tls, q.Transport));
    }

    [Fact]
    public async Task Forward_TwoPeersOneStops_FailsOverAndRecovers()
    {
        await using var a = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var b = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var server = await StartAsync($".:0 {{\n forward . {a.Address} {b.Address} {{\n  policy sequential\n  health_check 100ms\n }}\n}}");

        RecordAssert.Response(await server.QueryAsync("www.example.org.", DnsRecordType.A), DnsResponseCode.NoError, [Www]);
        await a.StopAsync();
        for (var i = 0; i < 5; i++)
        {
            RecordAssert.Response(await server.QueryAsync("www.example.org.", DnsRecordType.A), DnsResponseCode.NoError, [Www]);
        }

        await a.StartAsync();
        await WaitUntilAsync(async () =>
        {
            var before = a.ClientQueries.Count;
            await server.QueryAsync("www.example.org.", DnsRecordType.A);
            return a.ClientQueries.Count > before;
        });
    }

    [Fact]
    public async Task Loop_ForwardToItself_DetectedLoggedAndForwardDisabledWhileServerRuns()
    {
        var logs = new CapturingProvider();
        var port = FreePort();
        await using var server = await StartAsync($".:{port} {{\n loop\n forward . 127.0.0.1:{port}\n}}", logs);

        await WaitUntilAsync(() => Task.FromResult(logs.Errors.Any(e => e.Contains("detected", StringComparison.Ordinal))));
        var answer = await DnsTestClient.QueryUdpAsync(new IPEndPoint(IPAddress.Loopback, port), DnsTestClient.CreateQuery("www.example.org.", DnsRecordType.A, edns: true));

        var error = logs.Errors.First(e => e.Contains("detected", StringComparison.Ordinal));
        Assert.Contains($"forward to 127.0.0.1:{port} is disabled", error, StringComparison.Ordinal);
        Assert.Equal(DnsResponseCode.ServFail, answer.ResponseCode);
        Assert.Contains(answer.Edns!.Options, o => o.TryGetExtendedError(out var code, out var text) && code == ExtendedDnsErrorCode.Other && text.Contains("loop", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Loop_NoLoop_ProbeForwardedOnceAndForwardKeepsWorking()
    {
        var logs = new CapturingProvider();
        await using var upstream = await FakeUpstreamServer.StartZoneAsync(Www);
        await using var server = await StartAsync($".:0 {{\n loop\n forward . {upstream.Address}\n}}", logs);

        await WaitUntilAsync(() => Task.FromResult(upstream.ClientQueries.Any(q => q.Type == DnsRecordType.HINFO)));
        await Task.Delay(FastLoop.DisableAfter + TimeSpan.FromMilliseconds(300));
        var answer = await server.QueryAsync("www.example.org.", DnsRecordType.A);

        var probe = Assert.Single(upstream.ClientQueries, q => q.Type == DnsRecordType.HINFO);
        Assert.Equal(2, probe.Question.Name.LabelCount);
        RecordAssert.Response(answer, DnsResponseCode.NoError, [Www]);
        Assert.Empty(logs.Errors);
    }

    private async Task<TestDnsServerHandle> StartAsync(string corefile, CapturingProvider? logs = null)
    {
        var loggerFactory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Debug);
            builder.AddProvider(new TestOutputLoggerProvider(output));
            if (logs is not null)
            {
                builder.AddProvider(logs);
            }
        });
        var server = await MeshDnsServer.StartAsync(new MeshDnsServerOptions
        {
            CorefileText = corefile,
            DefaultPort = 0,
            LoggerFactory = loggerFactory,
            Transport = new TransportOptions { UdpReceiveLoops = 2, DrainTimeout = TimeSpan.FromSeconds(2) },
            Plugins = new PluginRegistry([new WhoamiSetup(), new ForwardSetup(null, Fast), new LoopSetup(FastLoop)]),
        });
        return new TestDnsServerHandle(server, loggerFactory);
    }

    private static int FreePort()
    {
        for (var attempt = 0; ; attempt++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Any, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Any, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
            }
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    private sealed class TestDnsServerHandle(MeshDnsServer server, ILoggerFactory loggerFactory) : IAsyncDisposable
    {
        public IPEndPoint Endpoint
        {
            get
            {
                var endpoint = server.GetEndpoint();
                return new IPEndPoint(IPAddress.Loopback, endpoint.Port);
            }
        }

        public Task<DnsMessage> QueryAsync(string name, DnsRecordType type, bool tcp = false) => DnsTestClient.QueryAsync(Endpoint, name, type, tcp);

        public async ValueTask DisposeAsync()
        {
            await server.DisposeAsync();
            loggerFactory.Dispose();
        }
    }

    private sealed class CapturingProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _errors = new();

        public IReadOnlyList<string> Errors => _errors.ToArray();

        public ILogger CreateLogger(string categoryName) => new Logger(_errors);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> errors) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Error)
                {
                    errors.Enqueue(formatter(state, exception));
                }
            }
        }
    }
}
