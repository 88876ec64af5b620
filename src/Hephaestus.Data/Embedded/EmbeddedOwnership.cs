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

    public sealed record Owner(int Pid, int Port);

    public static void Claim(string dataDirectory, int port)
    {
        var path = Path.Combine(Path.GetFullPath(dataDirectory), FileName);
        File.WriteAllText(path, JsonSerializer.Serialize(new Owner(Environment.ProcessId, port)));
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
        if (!IsAlive(owner.Pid)) return null;
        // A reused PID is possible; only trust it if the process is a .NET host and the postmaster is up.
        var pidFile = Path.Combine(full, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        var lines = File.ReadAllLines(pidFile);
        return lines.Length > 0 && int.TryParse(lines[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && IsAlive(pid)
            ? owner
            : null;
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

    static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");
}
