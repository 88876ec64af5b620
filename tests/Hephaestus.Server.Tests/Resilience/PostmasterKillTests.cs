using System.Diagnostics;
using Hephaestus.Data;
using Hephaestus.Server.Hosting;
using Hephaestus.Server.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Hephaestus.Server.Tests.Resilience;

/// <summary>
/// The service on its own supervised embedded PostgreSQL, whose postmaster is killed with SIGKILL twice while learners
/// submit (after a quarter and after three fifths were acknowledged). The clients retry through the outage on 503; the
/// service must come back by itself, with no acknowledged submission lost or doubled.
/// </summary>
[Collection(nameof(CrashCollection))]
public sealed class PostmasterKillTests(ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan RecoveryBound = TimeSpan.FromMinutes(1);

    // Not Directory.CreateTempSubdirectory: its mode 0700 would keep the postgres OS user (when tests run as root) out.
    readonly string _root = Path.Combine(Path.GetTempPath(), "hephaestus-postmaster-kill-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public async Task Kill_9_of_the_postmaster_during_submissions_loses_and_doubles_nothing_and_the_service_recovers_by_itself()
    {
        var clock = Stopwatch.StartNew();
        await using var service = new EmbeddedService(Path.Combine(_root, "pg"));
        var endpoint = service.Services.GetRequiredService<DatabaseEndpoint>();
        SubmissionWorkload workload;
        await using (var owner = HephaestusDatabase.CreateDataSource(endpoint.OwnerConnectionString, DatabaseLimits.Maintenance))
        {
            workload = await SubmissionWorkload.ArrangeAsync(owner, service.CreateClient, learners: 8, submissionsEach: 15);
        }

        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var running = workload.RunAsync(bound.Token);
        var recoveries = new List<TimeSpan>();
        foreach (var share in new[] { 1 / 4.0, 3 / 5.0 })
        {
            await workload.UntilAcknowledgedAsync((int)(workload.Expected * share), running);
            Assert.False(running.IsCompleted, $"the workload ended before the kill ({workload.Acknowledged} acknowledged): make it longer");
            var killedAt = Stopwatch.GetTimestamp();
            service.KillPostmaster();
            recoveries.Add(await workload.RecoveredAsync(killedAt, RecoveryBound));
        }

        await running;
        // A data source made now: one opened before the kills would hold connections to a postmaster that is gone.
        await using (var owner = HephaestusDatabase.CreateDataSource(endpoint.OwnerConnectionString, DatabaseLimits.Maintenance))
        {
            var figures = await workload.VerifyAsync(owner);
            output.WriteLine($"kill -9 of the postmaster ×2: {figures}; first 2xx after {string.Join(", ", recoveries.Select(SubmissionWorkload.Seconds))}; test took {SubmissionWorkload.Seconds(clock.Elapsed)}");
            Assert.Equal(0, figures.Lost);
            Assert.Equal(0, figures.Duplicated);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
