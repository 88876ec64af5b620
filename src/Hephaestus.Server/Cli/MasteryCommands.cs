using System.CommandLine;
using System.Globalization;
using Hephaestus.Data.Mastery;
using Hephaestus.Domain.Mastery.Fitting;

namespace Hephaestus.Server.Cli;

/// <summary>`hephaestus mastery …`: fitting a skill's BKT parameters to its evidence.</summary>
internal static class MasteryCommands
{
    /// <summary>
    /// Below this many learners with at least two observations a fit is refused: the prior is estimated from one
    /// first answer per learner and learning/forgetting from consecutive pairs, so fewer learners give noise.
    /// </summary>
    internal const int MinimumLearners = 20;

    public static Command Create()
    {
        var mastery = new Command("mastery", "Mastery models: fit BKT parameters to recorded evidence.");
        mastery.Subcommands.Add(CreateFit());
        return mastery;
    }

    static Command CreateFit()
    {
        var skill = new Option<string>("--skill", "-s") { Description = "The skill: its id, <framework>/<code>, or a code found in only one framework.", Required = true };
        var restarts = new Option<int>("--restarts") { Description = "EM starting points; the best log likelihood wins.", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Seeds the restarts and the held-out split: the same seed gives the same fit.", DefaultValueFactory = _ => 1 };
        var heldOut = new Option<double>("--held-out") { Description = "Share of learners held out to measure AUC and RMSE (0 for none).", DefaultValueFactory = _ => 0.2 };
        var apply = new Option<bool>("--apply") { Description = "Store the fitted parameters on the skill (mastery_parameters, mastery_method = 'bkt')." };
        var fit = new Command("fit", "Fit BKT-with-forgetting parameters to a skill's evidence and report held-out AUC and RMSE against the mean baseline. Exit code 2 when there is too little evidence.")
        {
            skill, restarts, seed, heldOut, apply,
        };
        fit.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var options = new BktFitOptions { Restarts = parse.GetValue(restarts), Seed = parse.GetValue(seed), HeldOutFraction = parse.GetValue(heldOut) };
            if (options.Restarts < 1 || !(options.HeldOutFraction is >= 0 and < 1))
            {
                await Console.Error.WriteLineAsync("--restarts must be at least 1 and --held-out from 0 up to (not including) 1.");
                return 1;
            }

            await using var cli = await CliDatabase.OpenAsync(ct);
            await cli.EnsureEmbeddedSchemaAsync(ct);
            ResolvedSkill resolved;
            try
            {
                resolved = await EvidenceSequences.ResolveSkillAsync(cli.Owner, parse.GetValue(skill)!, ct);
            }
            catch (SkillResolutionException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }

            var sequences = await EvidenceSequences.ReadAsync(cli.Owner, resolved.Id, ct);
            var usable = sequences.Count(s => s.Count >= 2);
            if (usable < MinimumLearners)
            {
                await Console.Error.WriteLineAsync(
                    $"Too little evidence to fit {resolved}: {usable} learner(s) with at least 2 observations "
                    + $"({sequences.Count} with any, {sequences.Sum(s => s.Count)} observations); at least {MinimumLearners} are needed.");
                return 2;
            }

            var started = System.Diagnostics.Stopwatch.StartNew();
            BktFitReport report;
            try
            {
                report = BktFitter.Fit(sequences, options);
            }
            catch (ArgumentException e)
            {
                // E.g. a --held-out share that leaves no learner to fit.
                await Console.Error.WriteLineAsync($"Cannot fit {resolved}: {e.Message}");
                return 2;
            }

            started.Stop();
            Console.WriteLine(Format(resolved, report, started.Elapsed));

            if (parse.GetValue(apply))
            {
                var change = await SkillBktParameters.ApplyAsync(cli.Owner, resolved.Id, report.Parameters, ct);
                if (change is null)
                {
                    await Console.Error.WriteLineAsync($"The skill {resolved} no longer exists; nothing was applied.");
                    return 1;
                }

                Console.WriteLine();
                Console.WriteLine($"Applied to {resolved}:");
                Console.WriteLine($"  mastery_method      {change.MethodBefore ?? "(inherited from the framework)"} -> {change.MethodAfter}");
                Console.WriteLine($"  mastery_parameters  {change.ParametersBefore ?? "(inherited from the framework)"}");
                Console.WriteLine($"                   -> {change.ParametersAfter}");
            }
            else
            {
                Console.WriteLine();
                Console.WriteLine("Nothing was changed; pass --apply to store these parameters on the skill.");
            }

            return 0;
        });
        return fit;
    }

    internal static string Format(ResolvedSkill skill, BktFitReport r, TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        string F(double? value, string format = "F4") => value is { } v ? v.ToString(format, c) : "n/a";
        var p = r.Parameters;
        var lines = new List<string>
        {
            $"BKT fit for {skill}",
            "",
            "  parameter    value",
            $"  prior (L0)   {F(p.Prior)}",
            $"  learn (T)    {F(p.Learn)}",
            $"  guess (G)    {F(p.Guess)}",
            $"  slip (S)     {F(p.Slip)}",
            $"  forget (F)   {F(p.Forget)}",
            "",
            $"  log-likelihood  {F(r.LogLikelihood, "F2")} (training, {r.Iterations} EM iterations of the best restart, {elapsed.TotalMilliseconds.ToString("F0", c)} ms)",
            $"  training        {r.TrainSequences} learners, {r.TrainObservations} observations",
            $"  held out        {r.HeldOutSequences} learners, {r.HeldOutObservations} observations",
            "",
            "  held-out     BKT      mean baseline",
            $"  AUC          {F(r.Auc),-8} {F(r.BaselineAuc)}",
            $"  RMSE         {F(r.Rmse),-8} {F(r.BaselineRmse)}",
        };
        if (r.HeldOutObservations == 0)
        {
            lines.Add("  (nothing held out: AUC and RMSE need --held-out > 0)");
        }
        else if (r.Auc is null)
        {
            lines.Add("  Warning: the held-out answers are all correct or all incorrect, so AUC is undefined; the fit cannot be judged.");
        }
        else if (r.Auc is { } auc && r.Rmse is { } rmse && r.BaselineRmse is { } baseline && (auc <= 0.5 || rmse >= baseline))
        {
            lines.Add("  Warning: the fit does not beat the mean baseline on held-out learners; it has not learned about them.");
        }

        return string.Join('\n', lines);
    }
}
