using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Hephaestus.Server.Hosting;
using Hephaestus.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hephaestus.Server.Tests.Hosting;

/// <summary>
/// The service on its own embedded cluster (never the shared test cluster), started by the launcher the service uses:
/// its postmaster is killed, and the service must come back by itself.
/// </summary>
public sealed class EmbeddedSupervisionTests(ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(30);

    readonly string _root = Path.Combine(Path.GetTempPath(), "hephaestus-supervised-" + Guid.NewGuid().ToString("N")[..10]);

    static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < bound, $"not within {bound}");
            await Task.Delay(100);
        }

        return clock.Elapsed;
    }

    [Fact]
    public async Task After_kill_9_of_the_postmaster_the_service_serves_again_by_itself_and_fails_liveness_while_it_cannot()
    {
        await using var service = new EmbeddedService(Path.Combine(_root, "pg"));
        var endpoint = service.Services.GetRequiredService<DatabaseEndpoint>();
        Assert.NotNull(endpoint.Supervisor);
        var email = $"supervised-{Guid.NewGuid():N}@example.org";
        await using (var owner = new NpgsqlConnection(endpoint.OwnerConnectionString))
        {
            await owner.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO hephaestus.users (id, external_subject, email, display_name, roles) VALUES ($1, $2, $3, 'S', '{admin}')", owner)
            {
                Parameters = { new() { Value = Guid.CreateVersion7() }, new() { Value = "test|" + email }, new() { Value = email } },
            };
            await insert.ExecuteNonQueryAsync();
        }

        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.Token("test|" + email));
        async Task<bool> ServesAsync() => (await client.GetAsync("/api/v1/users/me")).StatusCode == HttpStatusCode.OK;
        async Task<HttpStatusCode> StatusAsync(string path) => (await client.GetAsync(path)).StatusCode;
        Assert.True(await ServesAsync());

        // 1. kill -9: the supervisor notices, PostgreSQL recovers from its WAL, and API requests succeed again.
        var killed = service.KillPostmaster();
        // Recovered: a new postmaster, ready, and an authenticated API request served (a backend of the killed one may
        // answer for a moment after the kill, so serving alone does not prove it).
        var recovery = await UntilAsync(async () =>
            File.Exists(service.PidFile) && (await File.ReadAllLinesAsync(service.PidFile))[0] != killed.Id.ToString(CultureInfo.InvariantCulture)
            && await StatusAsync("/health/ready") == HttpStatusCode.OK && await ServesAsync(), RecoveryBound);
        output.WriteLine($"served again {recovery.TotalSeconds:F1} s after kill -9");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/health/live"));

        // 2. Killed again while something else holds its port, so every restart fails: not ready at once, and not live
        // once that lasts longer than Embedded:LivenessFailsAfterSeconds (3 s here).
        service.KillPostmaster();
        using var squatter = new TcpListener(IPAddress.Loopback, endpoint.Cluster!.Port);
        await UntilAsync(() => Task.FromResult(TryStart(squatter)), TimeSpan.FromSeconds(5)); // free once the postmaster is dead
        await UntilAsync(async () => await StatusAsync("/health/ready") == HttpStatusCode.ServiceUnavailable, RecoveryBound);
        await UntilAsync(async () => await StatusAsync("/health/live") == HttpStatusCode.ServiceUnavailable, RecoveryBound);
        var unavailable = await client.GetAsync("/api/v1/users/me");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);

        // 3. The port is free again: the next attempt (backoff at most 1 s here) brings it back.
        squatter.Stop();
        var back = await UntilAsync(ServesAsync, RecoveryBound);
        output.WriteLine($"served again {back.TotalSeconds:F1} s after the port was freed");
        await UntilAsync(async () => await StatusAsync("/health/live") == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        await UntilAsync(async () => await StatusAsync("/health/ready") == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
    }

    static bool TryStart(TcpListener listener)
    {
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
