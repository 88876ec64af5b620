using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hephaestus.Server.Features.Content;
using Hephaestus.Server.Hosting;

namespace Hephaestus.Server.Cli;

/// <summary>`hephaestus content …`: checking that content rows and stored objects agree, and collecting what nothing uses.</summary>
internal static class ContentCommands
{
    public static Command Create()
    {
        var content = new Command("content", "Content bodies: verify rows against the object store, collect unused bodies and orphan objects.");
        content.Subcommands.Add(CreateVerify());
        content.Subcommands.Add(CreateGc());
        return content;
    }

    static Option<bool> JsonOption() => new("--json") { Description = "Write the report as JSON instead of a table." };

    static Command CreateVerify()
    {
        var json = JsonOption();
        var noHash = new Option<bool>("--no-hash") { Description = "Compare sizes only; skip reading every object to hash it." };
        var verify = new Command("verify", "Report rows whose object is missing or holds other bytes, and objects no row records. Exit code 1 when anything is wrong.")
        {
            json, noHash,
        };
        verify.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            var report = await ContentUpkeep.VerifyAsync(cli.Owner, StorageHosting.Create(cli.Configuration), !parse.GetValue(noHash), ct);
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(report, JsonSerializerOptions.Web) : Format(report));
            return report.Clean ? 0 : 1;
        });
        return verify;
    }

    static Command CreateGc()
    {
        var json = JsonOption();
        var grace = new Option<string>("--grace")
        {
            Description = "Only what has been unused for longer than this is deleted (e.g. 24h, 30m, 7d). A body uploaded within it survives.",
            DefaultValueFactory = _ => "24h",
        };
        var gc = new Command("gc", "Delete content bodies no version references and objects no row records, older than the grace; and what interrupted uploads left.")
        {
            grace, json,
        };
        gc.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            if (ParseDuration(parse.GetValue(grace)!) is not { } period)
            {
                await Console.Error.WriteLineAsync("--grace must be a duration such as 24h, 30m, 90s or 7d.");
                return 2;
            }

            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            var report = await ContentUpkeep.CollectAsync(cli.Owner, StorageHosting.Create(cli.Configuration), period, ct);
            Console.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(report, JsonSerializerOptions.Web)
                : $"content gc (unused since before {report.Cutoff:u}): {report.BodiesDeleted.Count} unreferenced bodies and "
                  + $"{report.OrphanObjectsDeleted.Count} orphan objects deleted, {report.IncompleteRemoved} incomplete uploads removed."
                  + string.Concat(report.BodiesDeleted.Select(s => $"\n  body    {s}")) + string.Concat(report.OrphanObjectsDeleted.Select(s => $"\n  orphan  {s}")));
            return 0;
        });
        return gc;
    }

    /// <summary>A number and a unit (s, m, h, d), or a TimeSpan (hh:mm:ss); null when it is neither or negative.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            return text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span : null;
    }

    internal static string Format(VerifyReport report)
    {
        var lines = new List<string>
        {
            $"content verify: {report.Rows} bodies recorded, {report.Objects} objects stored, {report.Findings.Count} problem(s)",
        };
        if (report.Clean) return lines[0];
        lines.Add("");
        lines.Add($"  {"problem",-15} {"sha256",-64}  detail");
        lines.AddRange(report.Findings.Select(f => $"  {f.Problem,-15} {f.Sha256}  {f.Detail}"));
        return string.Join('\n', lines);
    }
}
