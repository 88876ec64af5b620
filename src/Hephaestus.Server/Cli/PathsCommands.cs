using System.CommandLine;
using Hephaestus.Data;
using Hephaestus.Data.Learning;

namespace Hephaestus.Server.Cli;

/// <summary>`hephaestus paths …`: operations on learning paths too long for one request.</summary>
internal static class PathsCommands
{
    public static Command Create()
    {
        var paths = new Command("paths", "Learning paths: move enrolled learners to a new version.");
        paths.Subcommands.Add(CreateMigrate());
        return paths;
    }

    static Command CreateMigrate()
    {
        var path = new Option<string>("--path", "-p") { Description = "The path: its id or its code.", Required = true };
        var version = new Option<int?>("--version") { Description = "The published version number to move to (default: the newest published)." };
        var batch = new Option<int>("--batch") { Description = "Learners per progress line; each learner is its own transaction.", DefaultValueFactory = _ => 500 };
        var migrate = new Command("migrate-enrollments",
            "Move every learner enrolled in an older version to a published version, keeping the status of each step that still exists. "
            + "One transaction per learner: stopping it loses nothing, and running it again resumes.")
        {
            path, version, batch,
        };
        migrate.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            if (parse.GetValue(batch) is < 1 or > 10_000)
            {
                await Console.Error.WriteLineAsync("--batch must be between 1 and 10000.");
                return 1;
            }

            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            var target = await LearnerRecord.FindPublishedVersionAsync(cli.Owner, parse.GetValue(path)!, parse.GetValue(version), ct);
            if (target is null)
            {
                await Console.Error.WriteLineAsync($"No published version {(parse.GetValue(version)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "")} of path '{parse.GetValue(path)}'.");
                return 1;
            }

            var (pathId, versionId, number) = target.Value;
            var total = 0;
            var learning = new LearnerRecord(new PlanCache());
            while (true)
            {
                // The operation the HTTP endpoint runs; the version was just found published, so the run goes ahead.
                var run = await learning.MigrateEnrollmentsAsync(cli.Owner, Actor.Operator, pathId, versionId, parse.GetValue(batch), ct);
                if (run.Batch is not { } result)
                {
                    await Console.Error.WriteLineAsync(run.Refusal ?? $"Version {number} of path '{parse.GetValue(path)}' is gone.");
                    return 1;
                }

                total += result.Migrated.Count;
                Console.WriteLine($"moved {total} learner(s) to version {number}; {result.Remaining} remaining");
                if (result.Remaining == 0 || result.Migrated.Count == 0) return result.Remaining == 0 ? 0 : 3;
            }
        });
        return migrate;
    }
}
