using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hephaestus.Server.Tests;

/// <summary>
/// The built executable (hephaestus.dll, copied beside the tests) as an OS process of its own, configured only by
/// environment variables, as an operator runs it: a verb that runs to its end, or the service that a test may kill -9.
/// </summary>
internal sealed class HephaestusProcess : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();

    HephaestusProcess(Process process) => _process = process;

    public int Id => _process.Id;

    /// <summary>What the process wrote on standard output and standard error so far, interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <param name="environment">Settings as environment variables (ConnectionStrings__Hephaestus, …); inherited
    /// Hephaestus settings are removed first, so only these configure the process.</param>
    /// <param name="workingDirectory">A folder the test owns: the embedded default would put its data here.</param>
    public static HephaestusProcess Start(IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hephaestus.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var name in start.Environment.Keys.Where(IsHephaestusSetting).ToList()) start.Environment.Remove(name);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment) start.Environment[name] = value;

        var process = new Process { StartInfo = start };
        var started = new HephaestusProcess(process);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Runs a verb to its end: its exit code and what it wrote.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        IReadOnlyDictionary<string, string> environment, string workingDirectory, TimeSpan bound, params string[] args)
    {
        using var verb = Start(environment, workingDirectory, args);
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await verb._process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            verb.Kill();
            throw new TimeoutException($"hephaestus {string.Join(' ', args)} did not end within {bound}: {verb.Output}");
        }

        return (verb._process.ExitCode, verb.Output);
    }

    /// <summary>SIGKILL: no shutdown code runs, in-flight requests and transactions are cut off where they are.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>A port free now on the loopback interface (the service binds it a moment later).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static bool IsHephaestusSetting(string name) =>
        name.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Embedded__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Auth__", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Database__", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Urls", StringComparison.OrdinalIgnoreCase);

    /// <summary>The dotnet host running the tests (set by `dotnet test`), else the one on PATH.</summary>
    static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
