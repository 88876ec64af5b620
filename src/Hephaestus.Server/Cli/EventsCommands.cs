using System.CommandLine;
using System.Globalization;
using Hephaestus.Data.Events;
using Hephaestus.Server.Hosting;

namespace Hephaestus.Server.Cli;

/// <summary>`hephaestus events …`: the event store's upkeep, the same operation the service runs on its schedule.</summary>
internal static class EventsCommands
{
    public static Command Create()
    {
        var events = new Command("events", "Learning events: partitions and retention, export to a data lake.");
        var maintain = new Command("maintain",
            "Make the daily partitions every accepted event needs (Events:MaxPastDays back, Events:DaysAhead ahead) and drop those retention "
            + "(Events:RetentionDays) is past. Safe beside a running service: another run in progress makes this one skip (exit code 3).");
        maintain.SetAction(async (ParseResult _, CancellationToken ct) =>
        {
            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            var run = await EventPartitions.MaintainAsync(cli.Owner, EventOptions.From(cli.Configuration).Retention, DateTimeOffset.UtcNow, ct);
            if (run.Skipped)
            {
                await Console.Error.WriteLineAsync("Another maintenance run holds the lock; nothing done.");
                return 3;
            }

            static string Days(IReadOnlyList<DateOnly> days) =>
                days.Count == 0 ? "none" : string.Join(", ", days.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
            Console.WriteLine($"made: {Days(run.Created)}");
            Console.WriteLine($"dropped: {Days(run.Dropped)}");
            if (run.Deferred.Count > 0) Console.WriteLine($"deferred (lock busy, retried next run): {Days(run.Deferred)}");
            return 0;
        });
        events.Subcommands.Add(maintain);
        events.Subcommands.Add(EventExportCommand.Create());
        return events;
    }
}
