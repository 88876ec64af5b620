using System.CommandLine;
using Npgsql;

namespace Hephaestus.Server.Cli;

/// <summary>
/// The CLI verbs. They run on the same configuration as the service (appsettings, environment, command line) and
/// reach the same database: with no connection string, the embedded cluster (shared with a running service, or
/// started for the duration of the verb).
/// </summary>
public static class HephaestusCli
{
    static readonly string[] Verbs = ["db", "token", "seed", "mastery", "paths", "content", "import", "events", "--help", "-h", "-?", "--version"];

    /// <summary>
    /// What an argument list asks for: the service (no arguments, `serve …`, or options only such as `--Urls=…`), a
    /// verb, or a first word that is no verb (an error, never a silent start of the service).
    /// </summary>
    public static Invocation Classify(string[] args) => args switch
    {
        [] or ["serve", ..] => Invocation.Serve,
        [var first, ..] when Verbs.Contains(first, StringComparer.Ordinal) => Invocation.Verb,
        [var first, ..] when first.StartsWith('-') => Invocation.Serve,
        _ => Invocation.UnknownVerb,
    };

    public static bool IsVerb(string[] args) => Classify(args) == Invocation.Verb;

    /// <summary>Exit code 2 and the verbs, for a first word that is no verb.</summary>
    public static int UnknownVerb(string[] args, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine($"hephaestus: '{args[0]}' is not a verb. Verbs: serve (the default), " +
            $"{string.Join(", ", Verbs.Where(v => !v.StartsWith('-')))}; `hephaestus --help` describes them.");
        return 2;
    }

    /// <summary>
    /// A failure of the service's start or of a verb as one paragraph on standard error and exit code 1 (130 when
    /// cancelled), instead of an unhandled exception's stack trace.
    /// </summary>
    public static int Fail(Exception failure, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(error);
        if (failure is OperationCanceledException)
        {
            error.WriteLine("hephaestus: cancelled.");
            return 130;
        }

        var messages = new List<string>();
        var database = false;
        var queue = new Queue<Exception>([failure]);
        while (queue.TryDequeue(out var e))
        {
            database |= e is NpgsqlException;
            if (e is AggregateException aggregate) aggregate.InnerExceptions.ToList().ForEach(queue.Enqueue);
            else
            {
                var message = e.Message.ReplaceLineEndings(" ").Trim();
                if (message.Length > 0 && !messages.Any(m => m.Contains(message, StringComparison.Ordinal))) messages.Add(message.TrimEnd('.'));
                if (e.InnerException is { } inner) queue.Enqueue(inner);
            }
        }

        var hint = database
            ? " Check that PostgreSQL is running and reachable with ConnectionStrings__Hephaestus (and ConnectionStrings__HephaestusOwner), or leave them unset for the embedded database."
            : "";
        error.WriteLine($"hephaestus: {string.Join(": ", messages)}.{hint}");
        return 1;
    }

    /// <summary>`hephaestus serve …` and `hephaestus …` both serve; what follows goes to the web host.</summary>
    public static string[] ServeArguments(string[] args) => args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    /// <summary>
    /// The service's host options. The content root is the build's own directory, not the working directory, so that
    /// appsettings.json is found however the service is started (`dotnet run` from the clone, a published build from
    /// anywhere); relative paths in the settings (the embedded data directory) still resolve against the working directory.
    /// </summary>
    public static WebApplicationOptions ServeOptions(string[] args) =>
        new() { Args = ServeArguments(args), ContentRootPath = AppContext.BaseDirectory };

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Hephaestus: the system of record for personalized learning. With no verb (or `serve`), runs the HTTP API.")
        {
            DbCommands.Create(),
            TokenCommand.Create(),
            SeedCommand.Create(),
            MasteryCommands.Create(),
            PathsCommands.Create(),
            ContentCommands.Create(),
            ImportCommands.Create(),
            EventsCommands.Create(),
        };
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Fail(e, Console.Error);
        }
    }

    /// <summary>Configuration and logging exactly as the service builds them.</summary>
    internal static HostApplicationBuilder HostBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory, // as the service's (ServeOptions)
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        return builder;
    }
}

/// <summary>What the command line asks for (<see cref="HephaestusCli.Classify"/>).</summary>
public enum Invocation
{
    Serve,
    Verb,
    UnknownVerb,
}
