using System.CommandLine;
using Hephaestus.Data;
using Hephaestus.Data.Imports;
using Hephaestus.Server.Api;
using Npgsql;

namespace Hephaestus.Server.Cli;

/// <summary>
/// `hephaestus import …`: the imports of POST /api/v1/imports/*, run by the operator (as an admin, named as no one in
/// the audit). Exit code 0 with the counts; 1 with every bad line (its JSON pointer and message) when a file is bad,
/// and nothing written.
/// </summary>
internal static class ImportCommands
{
    public static Command Create()
    {
        var import = new Command("import", "Bulk imports: a OneRoster roster, items from JSON Lines. All or nothing; re-importing changes only what changed.");
        var dir = new Option<DirectoryInfo>("--dir", "-d") { Description = "The folder of the OneRoster export: users.csv, classes.csv, enrollments.csv.", Required = true };
        var oneRoster = new Command("oneroster", "Users, cohorts and memberships from a OneRoster 1.2 CSV export.") { dir };
        oneRoster.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            return await OneRosterAsync(cli.Owner, parse.GetValue(dir)!.FullName, Console.Out, Console.Error, ct);
        });
        var file = new Option<FileInfo>("--file", "-f") { Description = "The JSON Lines file: one item a line, as POST /api/v1/items takes it, with its code.", Required = true };
        var items = new Command("items", "Items into the bank from JSON Lines.") { file };
        items.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            return await ItemsAsync(cli.Owner, parse.GetValue(file)!.FullName, Console.Out, Console.Error, ct);
        });
        import.Subcommands.Add(oneRoster);
        import.Subcommands.Add(items);
        return import;
    }

    internal static async Task<int> OneRosterAsync(NpgsqlDataSource db, string folder, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var files = new OneRosterFiles();
        foreach (var part in OneRosterFiles.Parts)
        {
            var path = Path.Combine(folder, part + ".csv");
            if (!File.Exists(path)) continue;
            await using var stream = File.OpenRead(path);
            await files.ReadAsync(part, stream, ct);
        }

        return await ReportAsync(await RosterImportStore.ImportAsync(db, Actor.Operator, files, ct), output, error);
    }

    internal static async Task<int> ItemsAsync(NpgsqlDataSource db, string path, TextWriter output, TextWriter error, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            await error.WriteLineAsync($"No file {path}.");
            return 1;
        }

        await using var stream = File.OpenRead(path);
        var (lines, errors, count) = await ItemImportStore.ReadAsync(stream, ct);
        var result = errors.Count > 0 ? ImportResult.Invalid(count, errors) : await ItemImportStore.ImportAsync(db, Actor.Operator, lines, count, ct);
        return await ReportAsync(result, output, error);
    }

    static async Task<int> ReportAsync(ImportResult result, TextWriter output, TextWriter error)
    {
        switch (result.Outcome)
        {
            case ImportOutcome.Invalid:
                foreach (var e in result.Errors!) await error.WriteLineAsync($"{JsonPointer.From(e.Path)}: {e.Message}");
                await error.WriteLineAsync($"{result.Errors!.Count} error(s); nothing was imported.");
                return 1;
            case ImportOutcome.Conflict:
                await error.WriteLineAsync("A user or item made at the same time took an email, username or code of this import; nothing was imported, retry.");
                return 1;
            default:
                foreach (var (kind, c) in result.Counts!)
                {
                    await output.WriteLineAsync($"{kind}: {c.Created} created, {c.Updated} updated, {c.Unchanged} unchanged, {c.Deleted} deleted");
                }

                await output.WriteLineAsync($"import {result.ImportId} read {result.Lines} line(s).");
                return 0;
        }
    }
}
