using System.Diagnostics;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Resilience;

/// <summary>Crash tests kill processes and measure recovery: they run alone, not beside other test classes.</summary>
[CollectionDefinition(nameof(CrashCollection), DisableParallelization = true)]
public sealed class CrashCollection;

/// <summary>
/// The service as its own OS process on the test class's database, killed with SIGKILL three times while learners submit:
/// after a quarter of the submissions were acknowledged, again as soon as it serves after the restart (the clients are
/// then retrying what the first kill cut off), and after three fifths. No acknowledged submission may be lost or doubled.
/// </summary>
[Collection(nameof(CrashCollection))]
public sealed class ServiceKillTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>, IDisposable
{
    static readonly TimeSpan RecoveryBound = TimeSpan.FromMinutes(1);

    readonly string _workingDirectory = Directory.CreateTempSubdirectory("hephaestus-service-kill-").FullName;
    HephaestusProcess? _service;

    [Fact]
    public async Task Kill_9_of_the_service_during_submissions_loses_and_doubles_nothing_and_every_retry_replays()
    {
        var clock = Stopwatch.StartNew();
        var url = $"http://127.0.0.1:{HephaestusProcess.FreePort()}";
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Hephaestus"] = db.AppConnectionString,
            ["ConnectionStrings__HephaestusOwner"] = db.OwnerConnectionString,
            ["Auth__SigningKey"] = TestDatabase.SigningKeyBase64,
            ["Urls"] = url,
        };
        HttpClient NewClient() => new() { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(1) };
        _service = HephaestusProcess.Start(environment, _workingDirectory);
        await UntilReadyAsync(NewClient);

        var workload = await SubmissionWorkload.ArrangeAsync(db.Owner, NewClient, learners: 8, submissionsEach: 20);
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var running = workload.RunAsync(bound.Token);
        var recoveries = new List<TimeSpan>();
        async Task KillAndRestartAsync()
        {
            Assert.False(running.IsCompleted, $"the workload ended before the kill ({workload.Acknowledged} acknowledged): make it longer");
            var killedAt = Stopwatch.GetTimestamp();
            _service.Dispose(); // SIGKILL
            _service = HephaestusProcess.Start(environment, _workingDirectory);
            recoveries.Add(await workload.RecoveredAsync(killedAt, RecoveryBound, () => _service.Output));
        }

        await workload.UntilAcknowledgedAsync(workload.Expected / 4, running);
        await KillAndRestartAsync();
        await KillAndRestartAsync();
        await workload.UntilAcknowledgedAsync(workload.Expected * 3 / 5, running);
        await KillAndRestartAsync();
        await running;

        var figures = await workload.VerifyAsync(db.Owner);
        output.WriteLine($"kill -9 of the service ×3: {figures}; served again after {string.Join(", ", recoveries.Select(SubmissionWorkload.Seconds))}; test took {SubmissionWorkload.Seconds(clock.Elapsed)}");
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.Duplicated);
    }

    async Task UntilReadyAsync(Func<HttpClient> newClient)
    {
        using var client = newClient();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.True(clock.Elapsed < RecoveryBound, $"the service did not become ready: {_service?.Output}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        _service?.Dispose();
        Directory.Delete(_workingDirectory, recursive: true);
    }
}
