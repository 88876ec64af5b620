using System.CommandLine;
using Hephaestus.Data.Seeding;
using Spectre.Console;

namespace Hephaestus.Server.Cli;

internal static class SeedCommand
{
    public static Command Create()
    {
        var learners = new Option<int>("--learners", "-n") { Description = "How many learners to generate.", DefaultValueFactory = _ => 1000 };
        var cohortSize = new Option<int>("--cohort-size") { Description = "Learners per cohort (each cohort gets one educator).", DefaultValueFactory = _ => 30 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed generates the same data.", DefaultValueFactory = _ => 42 };
        var command = new Command("seed", "Generate deterministic learners, educators and cohorts with COPY (for benchmarks and demos).") { learners, cohortSize, seed };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var options = new SeedOptions(parse.GetValue(learners), parse.GetValue(cohortSize), parse.GetValue(seed));
            if (options.Learners < 1 || options.CohortSize < 1)
            {
                await Console.Error.WriteLineAsync("--learners and --cohort-size must be at least 1.");
                return 1;
            }

            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            var started = System.Diagnostics.Stopwatch.StartNew();
            SeedResult? result = null;
            await AnsiConsole.Progress().AutoClear(false).StartAsync(async progress =>
            {
                var task = progress.AddTask("learners", maxValue: options.Learners);
                result = await LearnerSeeder.SeedAsync(cli.Owner, options, done => task.Value = done, ct);
            });
            Console.WriteLine($"Seeded {result!.Learners} learners, {result.Educators} educators, {result.Cohorts} cohorts in {started.Elapsed.TotalSeconds:F1} s.");
            return 0;
        });
        return command;
    }
}
