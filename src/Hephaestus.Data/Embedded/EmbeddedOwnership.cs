using System.Globalization;
using System.Text.Json;

namespace Hephaestus.Data.Embedded;

/// <summary>
/// Records which Hephaestus process runs the embedded cluster (and on which port), so that a CLI verb started while the
/// service runs connects to it instead of starting a second postmaster, and a cluster orphaned by a killed process
/// can be told apart from one in use.
/// </summary>
public static class EmbeddedOwnership
{
    public const string FileName = "hephaestus.owner.json";

    /// <param name="StartTime">The owner's start time in clock ticks since boot (/proc/&lt;pid&gt;/stat): with the PID, it names
    /// one process for good, so a PID reused after the owner died is not mistaken for it. Null in files of older versions.</param>
    public sealed record Owner(int Pid, int Port, long? StartTime = null);

    public static void Claim(string dataDirectory, int port)
    {
        var path = Path.Combine(Path.GetFullPath(dataDirectory), FileName);
        var self = Environment.ProcessId;
        File.WriteAllText(path, JsonSerializer.Serialize(new Owner(self, port, LinuxProcess.ReadStat(self)?.StartTime)));
    }

    public static void Release(string dataDirectory)
    {
        var path = Path.Combine(Path.GetFullPath(dataDirectory), FileName);
        var owner = Read(path);
        if (owner?.Pid == Environment.ProcessId) File.Delete(path);
    }

    /// <summary>The owner if it is another live process whose postmaster is up; null otherwise.</summary>
    public static Owner? FindLiveOwner(string dataDirectory)
    {
        var full = Path.GetFullPath(dataDirectory);
        var owner = Read(Path.Combine(full, FileName));
        if (owner is null || owner.Pid == Environment.ProcessId) return null;
        if (!IsOwnerProcess(owner)) return null;
        // The owner runs; its postmaster must too (and be the one serving this directory, not a process that took its PID).
        var pidFile = Path.Combine(full, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        var lines = File.ReadAllLines(pidFile);
        return lines.Length > 0 && int.TryParse(lines[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)
            && LinuxProcess.IsRunning(pid) && EmbeddedPostgres.IsPostmasterOf(EmbeddedPostgres.ReadArgv(pid), EmbeddedPostgres.ReadCwd(pid), full)
            ? owner
            : null;
    }

    /// <summary>
    /// Whether the process named by the owner file still runs and is the one that wrote it. A /proc entry alone proves
    /// neither: a zombie (the owner exited, its parent has not reaped it) keeps one, and a PID is reused after exit. So the
    /// state must not be Z or X, and the start time must match; a file without one (an older version) is trusted only if
    /// the process's command line is a Hephaestus program (the `hephaestus` executable or a Hephaestus assembly).
    /// </summary>
    internal static bool IsOwnerProcess(Owner owner)
    {
        if (LinuxProcess.ReadStat(owner.Pid) is not { State: not ('Z' or 'X') } stat) return false;
        if (owner.StartTime is { } started) return stat.StartTime == started;
        return EmbeddedPostgres.ReadArgv(owner.Pid).Any(a => Path.GetFileName(a).StartsWith("hephaestus", StringComparison.OrdinalIgnoreCase));
    }

    static Owner? Read(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<Owner>(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
