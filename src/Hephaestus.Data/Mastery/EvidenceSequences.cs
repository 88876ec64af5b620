using System.Data;
using Npgsql;

namespace Hephaestus.Data.Mastery;

/// <summary>A skill named on the command line, resolved to its row.</summary>
public sealed record ResolvedSkill(Guid Id, string FrameworkCode, string Code)
{
    public override string ToString() => $"{FrameworkCode}/{Code} ({Id})";
}

/// <summary>A skill reference that names no skill, or more than one.</summary>
public sealed class SkillResolutionException(string message) : Exception(message);

/// <summary>Reads a skill's evidence as the per-learner answer sequences the BKT fitter takes.</summary>
public static class EvidenceSequences
{
    /// <summary>
    /// One sequence per learner with evidence for the skill, learners in id order, each in the order mastery folds it
    /// (observed time, then the skill sequence number). One query over ix_evidence_skill, streamed: a skill's evidence
    /// across all learners is never held as rows, only as the booleans the fitter needs.
    /// </summary>
    public static async Task<IReadOnlyList<IReadOnlyList<bool>>> ReadAsync(NpgsqlDataSource owner, Guid skillId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        // BKT is a binary hidden Markov model: an answer is correct or not. Partial credit (rubric levels, weighted item
        // scores) is thresholded: a score of at least 0.5 counts as correct, below it as incorrect. Evidence weights do
        // not enter the HMM's likelihood and are ignored here.
        await using var command = owner.CreateCommand("""
            SELECT learner_id, score >= 0.5
            FROM hephaestus.evidence
            WHERE skill_id = $1
            ORDER BY learner_id, observed_at, skill_seq
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = skillId });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);

        var sequences = new List<IReadOnlyList<bool>>();
        List<bool>? current = null;
        var currentLearner = Guid.Empty;
        while (await reader.ReadAsync(ct))
        {
            var learner = reader.GetGuid(0);
            var correct = reader.GetBoolean(1);
            if (current is null || learner != currentLearner)
            {
                current = [];
                sequences.Add(current);
                currentLearner = learner;
            }

            current.Add(correct);
        }

        return sequences;
    }

    /// <summary>
    /// Accepts a skill id (uuid), <c>frameworkCode/skillCode</c>, or a bare skill code when exactly one framework has
    /// it. Throws <see cref="SkillResolutionException"/> naming the candidates when the reference is ambiguous, or
    /// saying what was looked for when nothing matches.
    /// </summary>
    public static async Task<ResolvedSkill> ResolveSkillAsync(NpgsqlDataSource owner, string skill, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(skill);
        var reference = skill.Trim();
        if (reference.Length == 0)
        {
            throw new SkillResolutionException("No skill given: pass a skill id, <framework>/<code>, or a skill code.");
        }

        NpgsqlCommand command;
        string described;
        if (Guid.TryParse(reference, out var id))
        {
            command = owner.CreateCommand("""
                SELECT s.id, f.code, s.code FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
                WHERE s.id = $1
                """);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            described = $"with id {id}";
        }
        else if (reference.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0)
        {
            // Codes cannot contain '/', so the first one separates the framework from the skill.
            command = owner.CreateCommand("""
                SELECT s.id, f.code, s.code FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
                WHERE f.code = $1 AND s.code = $2
                """);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference[..slash] });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference[(slash + 1)..] });
            described = $"'{reference[(slash + 1)..]}' in framework '{reference[..slash]}'";
        }
        else
        {
            command = owner.CreateCommand("""
                SELECT s.id, f.code, s.code FROM hephaestus.skills s JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
                WHERE s.code = $1
                ORDER BY f.code
                LIMIT 21
                """);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference });
            described = $"with code '{reference}'";
        }

        var matches = new List<ResolvedSkill>();
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                matches.Add(new ResolvedSkill(reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new SkillResolutionException($"No skill {described}."),
            _ => throw new SkillResolutionException(
                $"The skill code '{reference}' is in {(matches.Count > 20 ? "more than 20" : matches.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))} frameworks; "
                + $"name one as <framework>/<code>:\n  {string.Join("\n  ", matches.Take(20))}"),
        };
    }
}
