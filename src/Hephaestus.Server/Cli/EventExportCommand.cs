using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hephaestus.Data.Events;
using Hephaestus.Server.Hosting;
using Hephaestus.Storage;

namespace Hephaestus.Server.Cli;

/// <summary>`hephaestus events export`: learning events to the data lake as Parquet (docs/operations.md).</summary>
internal static class EventExportCommand
{
    public static Command Create()
    {
        var until = new Option<string?>("--until")
        {
            Description = "Export the whole UTC days before this time (ISO 8601, e.g. 2026-12-02T00:00:00Z). Default: the start of the current UTC day.",
        };
        var partition = new Option<string?>("--partition")
        {
            Description = "Only this partition: its UTC day (2026-12-01) or its name (learning_events_p20261201). Default: every partition before --until.",
        };
        var json = new Option<bool>("--json") { Description = "Write the files exported as JSON instead of lines." };
        var export = new Command("export",
            "Write events to the object store (Storage:Kind) as Parquet, per partition (UTC day), in the order they were stored, resuming after the "
            + "last file each day recorded: an interrupted run neither skips nor repeats rows, and events stored late for a day exported already go "
            + "out as its next file. Names: <Events:Export:Prefix>/date=YYYY-MM-DD/part-NNNNN.parquet.")
        {
            until, partition, json,
        };
        export.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var before = ParseUntil(parse.GetValue(until));
            var day = ParsePartition(parse.GetValue(partition));
            if (before is null || day is { Valid: false })
            {
                await Console.Error.WriteLineAsync(before is null
                    ? "--until must be a time such as 2026-12-02T00:00:00Z."
                    : "--partition must be a UTC day (2026-12-01) or a partition name (learning_events_p20261201).");
                return 2;
            }

            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            var store = StorageHosting.Create(cli.Configuration);
            try
            {
                if (store is not INamedObjects named)
                {
                    await Console.Error.WriteLineAsync("The configured object store cannot hold named objects.");
                    return 1;
                }

                var files = await EventExport.RunAsync(cli.Owner, async (name, body, token) => await named.PutNamedAsync(name, body, token),
                    before.Value, day?.Day, Options(cli.Configuration), Path.Combine(Path.GetTempPath(), "hephaestus-export"), ct);
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(files, JsonSerializerOptions.Web)
                    : $"events export (before {before.Value:u}): {files.Count} files, {files.Sum(f => f.Rows)} rows."
                      + string.Concat(files.Select(f => $"\n  {f.ObjectName}  {f.Rows} rows")));
                return 0;
            }
            catch (EventExportBusyException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
            finally
            {
                (store as IDisposable)?.Dispose();
            }
        });
        return export;
    }

    internal static EventExportOptions Options(IConfiguration configuration)
    {
        var defaults = new EventExportOptions();
        return new EventExportOptions(
            configuration["Events:Export:Prefix"] ?? defaults.Prefix,
            configuration.GetValue("Events:Export:RowGroupRows", defaults.RowGroupRows),
            configuration.GetValue("Events:Export:FileRows", defaults.FileRows));
    }

    /// <summary>The time given, or the start of the current UTC day; null when the text is no time.</summary>
    internal static DateTimeOffset? ParseUntil(string? text) =>
        text is null ? new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero)
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at
        : null;

    internal readonly record struct PartitionDay(DateOnly? Day, bool Valid);

    internal static PartitionDay? ParsePartition(string? text)
    {
        if (text is null) return null;
        const string Prefix = "learning_events_p";
        if (text.StartsWith(Prefix, StringComparison.Ordinal)
            && DateOnly.TryParseExact(text[Prefix.Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var named))
        {
            return new PartitionDay(named, true);
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? new PartitionDay(day, true)
            : new PartitionDay(null, false);
    }
}
