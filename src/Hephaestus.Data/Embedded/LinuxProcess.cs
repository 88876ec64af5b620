using System.Globalization;

namespace Hephaestus.Data.Embedded;

/// <summary>What /proc says of a process: whether it still runs, and when it started (which tells a reused PID apart).</summary>
internal static class LinuxProcess
{
    /// <summary>State (field 3 of /proc/&lt;pid&gt;/stat) and start time in clock ticks since boot (field 22); null when gone.</summary>
    public static (char State, long StartTime)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may itself hold spaces or ')': fields resume after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)
            ? (fields[0][0], start)
            : null;
    }

    /// <summary>A zombie (Z: exited, not yet reaped by its parent) or dead (X) process has a /proc entry but does not run.</summary>
    public static bool IsRunning(int pid) => ReadStat(pid) is { State: not ('Z' or 'X') };
}
