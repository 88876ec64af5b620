using System.CommandLine;

namespace Hephaestus.Server.Cli;

/// <summary>
/// The CLI verbs. They run on the same configuration as the service (appsettings, environment, command line) and
/// reach the same database: with no connection string, the embedded cluster (shared with a running service, or
/// started for the duration of the verb).
/// </summary>
public static class HephaestusCli
{
    static readonly string[] Verbs = ["db", "token", "seed", "mastery", "paths", "--help", "-h", "-?", "--version"];

    public static bool IsVerb(string[] args) => args.Length > 0 && Verbs.Contains(args[0], StringComparer.Ordinal);

    /// <summary>`hephaestus serve …` and `hephaestus …` both serve; what follows goes to the web host.</summary>
    public static string[] ServeArguments(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Hephaestus: the system of record for personalized learning. With no verb (or `serve`), runs the HTTP API.")
        {
            DbCommands.Create(),
            TokenCommand.Create(),
            SeedCommand.Create(),
            MasteryCommands.Create(),
            PathsCommands.Create(),
        };
        return await root.Parse(args).InvokeAsync();
    }

    /// <summary>Configuration and logging exactly as the service builds them.</summary>
    internal static HostApplicationBuilder HostBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        return builder;
    }
}
