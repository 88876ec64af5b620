using System.Diagnostics;
using System.Globalization;
using Hephaestus.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hephaestus.Data.Tests.Embedded;

/// <summary>
/// The owner file names the process that runs the embedded cluster. A zombie or a reused PID is not that process: a start
/// that believed it would attach to an orphaned postmaster and, on stop, leave it running.
/// </summary>
public sealed class EmbeddedOwnershipTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "hephaestus-owner-" + Guid.NewGuid().ToString("N")[..10]);
    readonly List<EmbeddedPostgres> _started = [];
    Process? _parent;

    static long StartTime(int pid) => LinuxProcess.ReadStat(pid)!.Value.StartTime;

    /// <summary>A child that has exited and that its parent (a `sleep`, which never waits) will not reap: a zombie.</summary>
    int Zombie()
    {
        _parent = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0 & exec sleep 60"]) { UseShellExecute = false })!;
        for (var i = 0; i < 100; i++)
        {
            var children = File.ReadAllText($"/proc/{_parent.Id}/task/{_parent.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (children is [var child] && LinuxProcess.ReadStat(int.Parse(child, CultureInfo.InvariantCulture)) is { State: 'Z' })
            {
                return int.Parse(child, CultureInfo.InvariantCulture);
            }

            Thread.Sleep(50);
        }

        throw new InvalidOperationException("no zombie appeared");
    }

    [Fact]
    public void The_owner_is_the_running_process_with_the_recorded_start_time()
    {
        var self = Environment.ProcessId;
        Assert.True(EmbeddedOwnership.IsOwnerProcess(new(self, 5432, StartTime(self))));
        // Same PID, another start time: the owner died and its PID was given to another process.
        Assert.False(EmbeddedOwnership.IsOwnerProcess(new(self, 5432, StartTime(self) + 1)));
        Assert.False(EmbeddedOwnership.IsOwnerProcess(new(int.MaxValue, 5432, 1)));
    }

    [Fact]
    public void Without_a_start_time_only_a_hephaestus_command_line_is_trusted()
    {
        Assert.True(EmbeddedOwnership.IsOwnerProcess(new(Environment.ProcessId, 5432))); // this test host is a Hephaestus assembly
        using var other = Process.Start(new ProcessStartInfo("sleep", ["30"]) { UseShellExecute = false })!;
        try
        {
            Assert.False(EmbeddedOwnership.IsOwnerProcess(new(other.Id, 5432)));
        }
        finally
        {
            other.Kill();
            other.WaitForExit();
        }
    }

    [Fact]
    public void A_zombie_is_not_alive()
    {
        var zombie = Zombie();
        Assert.True(Directory.Exists($"/proc/{zombie}")); // what the old check looked at
        Assert.False(LinuxProcess.IsRunning(zombie));
        Assert.False(EmbeddedOwnership.IsOwnerProcess(new(zombie, 5432, StartTime(zombie))));
    }

    [Fact]
    public async Task A_cluster_whose_owner_is_a_zombie_is_not_attached_to_and_is_taken_over()
    {
        Directory.CreateDirectory(_root);
        var dataDirectory = Path.Combine(_root, "pg");
        var options = new EmbeddedPostgresOptions
        {
            DataDirectory = dataDirectory,
            InitialSettings = new Dictionary<string, string> { ["fsync"] = "off" },
        };
        var orphan = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance);
        _started.Add(orphan);
        var orphanPid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(dataDirectory, "postmaster.pid")))[0], CultureInfo.InvariantCulture);

        // The service that started it has exited, but is still a zombie; its postmaster runs on.
        var zombie = Zombie();
        await File.WriteAllTextAsync(Path.Combine(dataDirectory, EmbeddedOwnership.FileName),
            System.Text.Json.JsonSerializer.Serialize(new EmbeddedOwnership.Owner(zombie, orphan.Port, StartTime(zombie))));
        Assert.Null(EmbeddedOwnership.FindLiveOwner(dataDirectory));

        // So the next start takes the cluster over: it stops the orphaned postmaster and runs its own, which it will stop.
        var next = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance);
        _started.Add(next);
        Assert.False(LinuxProcess.IsRunning(orphanPid));
        Assert.True(next.IsPostmasterRunning());
        await next.StopAsync();
        Assert.False(next.IsPostmasterRunning());
    }

    public void Dispose()
    {
        if (_parent is { HasExited: false }) _parent.Kill(); // its zombie child goes with it (init adopts and reaps it)
        _parent?.WaitForExit();
        _parent?.Dispose();
        foreach (var cluster in _started) cluster.StopAsync().GetAwaiter().GetResult();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
