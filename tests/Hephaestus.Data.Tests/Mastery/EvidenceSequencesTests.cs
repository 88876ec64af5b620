using System.Text.Json;
using Hephaestus.Data.Mastery;
using Hephaestus.Domain.Mastery;
using Hephaestus.Domain.Mastery.Fitting;
using Hephaestus.Testing;
using NpgsqlTypes;

namespace Hephaestus.Data.Tests.Mastery;

/// <summary>Evidence in the database, read back as answer sequences and fitted: the path `hephaestus mastery fit` takes.</summary>
public class EvidenceSequencesTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    static readonly BktParameters Truth = new(Prior: 0.3, Learn: 0.2, Guess: 0.15, Slip: 0.1, Forget: 0.05);
    static readonly DateTimeOffset Start = new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Learner ids that sort (as uuids do in PostgreSQL, bytewise) in the order the simulator made the learners.</summary>
    static Guid LearnerId(int prefix, int index) => Guid.Parse($"{prefix:x8}-0000-7000-8000-{index:x12}");

    /// <summary>
    /// Writes users and their evidence with binary COPY as the owner. Rows go in in reverse, pairs of answers share an
    /// observed time (so skill_seq must break the tie), and scores are partial credit on both sides of 0.5.
    /// </summary>
    async Task CopyEvidenceAsync(int prefix, Guid skillId, IReadOnlyList<IReadOnlyList<bool>> sequences)
    {
        await using var connection = await db.Owner.OpenConnectionAsync();
        await using (var users = await connection.BeginBinaryImportAsync(
            "COPY hephaestus.users (id, external_subject, email, display_name) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < sequences.Count; i++)
            {
                var handle = $"fit-{prefix:x}-{i}";
                await users.StartRowAsync();
                await users.WriteAsync(LearnerId(prefix, i), NpgsqlDbType.Uuid);
                await users.WriteAsync("test|" + handle, NpgsqlDbType.Text);
                await users.WriteAsync(handle + "@fit.test", NpgsqlDbType.Text);
                await users.WriteAsync(handle, NpgsqlDbType.Text);
            }

            await users.CompleteAsync();
        }

        await using (var evidence = await connection.BeginBinaryImportAsync(
            "COPY hephaestus.evidence (learner_id, id, skill_id, score, weight, observed_at, source, skill_seq) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = sequences.Count - 1; i >= 0; i--)
            {
                for (var t = sequences[i].Count - 1; t >= 0; t--)
                {
                    // 1 and 0.5 are correct, 0.49999 and 0 are not: the reader thresholds partial credit at 0.5.
                    var score = sequences[i][t] ? (t % 3 == 0 ? 0.5m : 1m) : (t % 3 == 0 ? 0.49999m : 0m);
                    await evidence.StartRowAsync();
                    await evidence.WriteAsync(LearnerId(prefix, i), NpgsqlDbType.Uuid);
                    await evidence.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                    await evidence.WriteAsync(skillId, NpgsqlDbType.Uuid);
                    await evidence.WriteAsync(score, NpgsqlDbType.Numeric);
                    await evidence.WriteAsync(1m, NpgsqlDbType.Numeric);
                    await evidence.WriteAsync(Start.AddDays(i % 7).AddHours(t / 2), NpgsqlDbType.TimestampTz);
                    await evidence.WriteAsync("event", NpgsqlDbType.Text);
                    await evidence.WriteAsync(t + 1, NpgsqlDbType.Integer);
                }
            }

            await evidence.CompleteAsync();
        }
    }

    // The domain test's setup (500 learners × 30 steps, seed 2025, default options), so its tolerances apply as they
    // were calibrated; see BktFittingTests. Learner ids sort in generation order, so the database round trip must give
    // the fitter exactly the sequences it got there, and therefore exactly the same fit.
    [Fact]
    public async Task Evidence_read_back_in_order_recovers_the_generating_parameters()
    {
        var framework = await Catalog.FrameworkAsync(db, "fit-roundtrip");
        var skill = await Catalog.SkillAsync(db, framework, "fractions");
        var other = await Catalog.SkillAsync(db, framework, "decimals");
        var generated = BktSimulator.Generate(Truth, learners: 500, stepsPerLearner: 30, seed: 2025);
        await CopyEvidenceAsync(0x0f17, skill, generated);
        // Another skill's evidence for some of the same learners must not leak into this skill's sequences.
        Assert.Equal(50, await db.ExecuteAsync("""
            INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, observed_at, source, skill_seq)
            SELECT id, gen_random_uuid(), $1, 1, $2, 'event', 1 FROM hephaestus.users WHERE email LIKE 'fit-f17-%' LIMIT 50
            """, other, Start));

        var started = System.Diagnostics.Stopwatch.StartNew();
        var sequences = await EvidenceSequences.ReadAsync(db.Owner, skill, TestContext.Current.CancellationToken);
        var read = started.Elapsed;

        Assert.Equal(500, sequences.Count);
        Assert.All(sequences, s => Assert.Equal(30, s.Count));
        Assert.Equal(generated[123], sequences[123]);
        Assert.Equal(generated.Select(s => s.ToArray()), sequences.Select(s => s.ToArray()));

        var report = BktFitter.Fit(sequences, new BktFitOptions());
        output.WriteLine($"read 15000 observations in {read.TotalMilliseconds:F0} ms");
        output.WriteLine($"fitted {report.Parameters} in {report.Iterations} iterations; log likelihood {report.LogLikelihood:F2}");
        output.WriteLine($"AUC {report.Auc:F4} (baseline {report.BaselineAuc:F4}); RMSE {report.Rmse:F4} (baseline {report.BaselineRmse:F4})");
        Assert.Equal(BktFitter.Fit(generated, new BktFitOptions()), report);
        Assert.Equal((400, 12000, 100, 3000), (report.TrainSequences, report.TrainObservations, report.HeldOutSequences, report.HeldOutObservations));
        Assert.Equal(Truth.Prior, report.Parameters.Prior, 0.06);
        Assert.Equal(Truth.Learn, report.Parameters.Learn, 0.04);
        Assert.Equal(Truth.Guess, report.Parameters.Guess, 0.04);
        Assert.Equal(Truth.Slip, report.Parameters.Slip, 0.04);
        Assert.Equal(Truth.Forget, report.Parameters.Forget, 0.04);
        Assert.True(report.Auc > 0.70, $"AUC {report.Auc}");
        Assert.True(report.Auc > report.BaselineAuc, $"AUC {report.Auc} vs baseline {report.BaselineAuc}");
        Assert.True(report.Rmse < report.BaselineRmse, $"RMSE {report.Rmse} vs baseline {report.BaselineRmse}");
    }

    [Fact]
    public async Task A_skill_without_evidence_reads_as_no_sequences()
    {
        var framework = await Catalog.FrameworkAsync(db, "fit-empty");
        var skill = await Catalog.SkillAsync(db, framework, "untouched");
        Assert.Empty(await EvidenceSequences.ReadAsync(db.Owner, skill, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Skills_resolve_by_id_by_framework_and_code_and_by_a_unique_code()
    {
        var ct = TestContext.Current.CancellationToken;
        var algebra = await Catalog.FrameworkAsync(db, "resolve-algebra");
        var geometry = await Catalog.FrameworkAsync(db, "resolve-geometry");
        var linear = await Catalog.SkillAsync(db, algebra, "linear-eq");
        var uniqueCode = await Catalog.SkillAsync(db, geometry, "angles-7f3a");
        var shared = await Catalog.SkillAsync(db, geometry, "shared-basics");
        await Catalog.SkillAsync(db, algebra, "shared-basics");

        Assert.Equal(new ResolvedSkill(linear, "resolve-algebra", "linear-eq"), await EvidenceSequences.ResolveSkillAsync(db.Owner, linear.ToString(), ct));
        Assert.Equal(linear, (await EvidenceSequences.ResolveSkillAsync(db.Owner, $" {linear.ToString().ToUpperInvariant()} ", ct)).Id);
        Assert.Equal(shared, (await EvidenceSequences.ResolveSkillAsync(db.Owner, "resolve-geometry/shared-basics", ct)).Id);
        Assert.Equal(uniqueCode, (await EvidenceSequences.ResolveSkillAsync(db.Owner, "angles-7f3a", ct)).Id);

        var ambiguous = await Assert.ThrowsAsync<SkillResolutionException>(() => EvidenceSequences.ResolveSkillAsync(db.Owner, "shared-basics", ct));
        Assert.Contains("resolve-algebra/shared-basics", ambiguous.Message, StringComparison.Ordinal);
        Assert.Contains("resolve-geometry/shared-basics", ambiguous.Message, StringComparison.Ordinal);
        Assert.Contains("<framework>/<code>", ambiguous.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<SkillResolutionException>(() => EvidenceSequences.ResolveSkillAsync(db.Owner, "resolve-algebra/angles-7f3a", ct));
        Assert.Contains("'angles-7f3a' in framework 'resolve-algebra'", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SkillResolutionException>(() => EvidenceSequences.ResolveSkillAsync(db.Owner, Guid.NewGuid().ToString(), ct));
        await Assert.ThrowsAsync<SkillResolutionException>(() => EvidenceSequences.ResolveSkillAsync(db.Owner, "no-such-skill", ct));
    }

    [Fact]
    public async Task Applying_a_fit_merges_the_parameters_and_sets_the_method()
    {
        var ct = TestContext.Current.CancellationToken;
        var framework = await Catalog.FrameworkAsync(db, "fit-apply");
        var configured = await Catalog.SkillAsync(db, framework, "configured");
        var inherited = await Catalog.SkillAsync(db, framework, "inherited");
        await db.ExecuteAsync("""
            UPDATE hephaestus.skills SET mastery_method = 'latest', mastery_parameters = '{"bktMasteryThreshold": 0.9, "prior": 0.5}' WHERE id = $1
            """, configured);
        var fitted = new BktParameters(0.31, 0.19, 0.16, 0.11, 0.04);

        var change = await SkillBktParameters.ApplyAsync(db.Owner, configured, fitted, ct);
        var fresh = await SkillBktParameters.ApplyAsync(db.Owner, inherited, fitted, ct);

        Assert.NotNull(change);
        Assert.Equal("latest", change.MethodBefore);
        Assert.Equal("bkt", change.MethodAfter);
        var stored = JsonSerializer.Deserialize<MasteryParameters>((await db.ScalarAsync<string>(
            "SELECT mastery_parameters::text FROM hephaestus.skills WHERE id = $1 AND mastery_method = 'bkt'", configured))!)!;
        Assert.Equal(fitted, stored.Bkt);
        Assert.Equal(0.9, stored.BktMasteryThreshold);
        Assert.NotNull(fresh);
        Assert.Null(fresh.MethodBefore);
        Assert.Null(fresh.ParametersBefore);
        Assert.Equal(fitted, JsonSerializer.Deserialize<MasteryParameters>(fresh.ParametersAfter)!.Bkt);
        Assert.Null(await SkillBktParameters.ApplyAsync(db.Owner, Guid.NewGuid(), fitted, ct));
    }
}
