using Hephaestus.Domain.Content;
using Npgsql;
using static Hephaestus.Data.SqlParameters;

namespace Hephaestus.Data.Content;

/// <summary>One audited move of a version's status: who, when, why.</summary>
public sealed record ReviewEvent(long Id, ContentStatus From, ContentStatus To, Guid? ActorId, string? Reason, DateTimeOffset At);

/// <summary>Where a version is in review, its row version (the ETag a transition's If-Match sends back) and its audit trail.</summary>
public sealed record ContentReviewState(Guid VersionId, Guid ItemId, int Version, ContentStatus Status, DateTimeOffset? PublishedAt, uint RowVersion,
    IReadOnlyList<ReviewEvent> Events);

public enum TransitionOutcome
{
    Moved,
    NotFound,

    /// <summary>Not a move of the lifecycle, or the actor may not make it (<see cref="Transition.Refusal"/>); nothing changed.</summary>
    Refused,
    PreconditionRequired,
    PreconditionFailed,

    /// <summary>The publish gate refused (<see cref="Transition.Gate"/>); nothing changed.</summary>
    GateRefused,
}

/// <summary>One dimension's current scores on a version: how many, and their mean normalized to 0..1 (every evaluator).</summary>
public sealed record DimensionMean(string Dimension, int Scores, decimal MeanNormalized);

/// <summary>A version waiting for review: the version (its provenance included), its item's key and title, and its quality so far.</summary>
public sealed record ReviewQueueEntry(ContentVersion Version, string ItemKey, string ItemTitle, IReadOnlyList<DimensionMean> Quality);

/// <summary>
/// What the publish gate says of a version now, before anyone tries to publish it: the current normalized means per
/// dimension, whether a person other than its author scored it, and the failures (none: it would pass).
/// </summary>
public sealed record GateVerdict(Guid VersionId, ContentStatus Status, IReadOnlyDictionary<string, decimal> Means, bool HasHumanReview,
    IReadOnlyList<GateFailure> Failures);

public sealed record Transition(TransitionOutcome Outcome, ContentReviewState? State = null, ContentStatus? From = null,
    TransitionRefusal Refusal = TransitionRefusal.None, IReadOnlyList<GateFailure>? Gate = null, uint? CurrentRowVersion = null);

/// <summary>
/// The review lifecycle of content versions (<see cref="ContentReviewFlow"/>): each move checked against the table and
/// the actor, with If-Match, and audited by the database's transition trigger in the same transaction. Publishing locks
/// the item's row, so concurrent publishers of one item take turns; each retires the published version and publishes its
/// own, and the unique index ux_content_versions_one_published is the backstop.
/// </summary>
public static class ContentReviewStore
{
    /// <summary>The reason the transition trigger writes into the audit row of the next status change (transaction-local).</summary>
    const string SetReason = "SELECT set_config('hephaestus.review_reason', coalesce($1, ''), true)";

    public static async Task<ContentReviewState?> ReadAsync(ActorScope scope, Guid versionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT id, content_item_id, version, status, published_at, xmin FROM hephaestus.content_versions WHERE id = $1") { Parameters = { Uuid(versionId) } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT id, from_status, to_status, actor_id, reason, at FROM hephaestus.content_review_events WHERE content_version_id = $1 ORDER BY id")
        { Parameters = { Uuid(versionId) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var state = new ContentReviewState(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), ContentStatusNames.Parse(reader.GetString(3)),
            reader.GetNullableTime(4), reader.GetFieldValue<uint>(5), []);
        await reader.NextResultAsync(ct);
        var events = new List<ReviewEvent>();
        while (await reader.ReadAsync(ct))
        {
            events.Add(new ReviewEvent(reader.GetInt64(0), ContentStatusNames.Parse(reader.GetString(1)), ContentStatusNames.Parse(reader.GetString(2)),
                reader.GetNullableGuid(3), reader.GetNullableString(4), reader.GetTime(5)));
        }

        return state with { Events = events };
    }

    /// <summary>
    /// Moves a version to <paramref name="to"/> if the lifecycle, the actor's roles, four eyes, If-Match and (to publish)
    /// the gate allow it. An illegal move is refused before If-Match is looked at: it fails whatever the client read.
    /// </summary>
    public static async Task<Transition> MoveAsync(NpgsqlDataSource db, Actor actor, Guid versionId, ContentStatus to, string? reason, uint? expected,
        PublishGate gate, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(gate);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (to == ContentStatus.Published)
        {
            // The item first, then versions: the order every publisher takes, so they queue instead of deadlocking.
            await using var lockItem = scope.Command("""
                SELECT hephaestus.lock_content_item(content_item_id) FROM hephaestus.content_versions WHERE id = $1
                """);
            lockItem.Parameters.Add(Uuid(versionId));
            if (await lockItem.ExecuteScalarAsync(ct) is not true) return new Transition(TransitionOutcome.NotFound);
        }

        Guid itemId;
        int number;
        ContentStatus from;
        uint rowVersion;
        bool actorIsAuthor;
        await using (var lockVersion = scope.Command("""
            SELECT content_item_id, version, status, xmin, $2::uuid IN (created_by, human_author_id)
            FROM hephaestus.content_versions WHERE id = $1 FOR NO KEY UPDATE
            """))
        {
            lockVersion.Parameters.Add(Uuid(versionId));
            lockVersion.Parameters.Add(NullableUuid(actor.PersonId));
            await using var reader = await lockVersion.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new Transition(TransitionOutcome.NotFound);
            (itemId, number, from, rowVersion) = (reader.GetGuid(0), reader.GetInt32(1), ContentStatusNames.Parse(reader.GetString(2)), reader.GetFieldValue<uint>(3));
            actorIsAuthor = !reader.IsDBNull(4) && reader.GetBoolean(4);
        }

        var refusal = ContentReviewFlow.Check(from, to, actor.Roles, actorIsAuthor, reason);
        if (refusal != TransitionRefusal.None) return new Transition(TransitionOutcome.Refused, From: from, Refusal: refusal);
        if (expected is null) return new Transition(TransitionOutcome.PreconditionRequired, From: from);
        if (expected != rowVersion) return new Transition(TransitionOutcome.PreconditionFailed, From: from, CurrentRowVersion: rowVersion);

        var moves = new List<NpgsqlBatchCommand>();
        if (to == ContentStatus.Published)
        {
            var failures = await GateFailuresAsync(scope, versionId, gate, ct);
            if (failures.Count > 0) return new Transition(TransitionOutcome.GateRefused, From: from, Gate: failures);
            moves.Add(new NpgsqlBatchCommand(SetReason) { Parameters = { Text(FormattableString.Invariant($"superseded by version {number}")) } });
            moves.Add(new NpgsqlBatchCommand("""
                UPDATE hephaestus.content_versions SET status = 'retired' WHERE content_item_id = $1 AND status = 'published' AND id <> $2
                """) { Parameters = { Uuid(itemId), Uuid(versionId) } });
        }

        moves.Add(new NpgsqlBatchCommand(SetReason) { Parameters = { Text(reason) } });
        moves.Add(new NpgsqlBatchCommand("UPDATE hephaestus.content_versions SET status = $2 WHERE id = $1")
        {
            Parameters = { Uuid(versionId), Text(to.ToWireName()) },
        });
        await scope.ExecuteAsync(moves, ct);
        var state = await ReadAsync(scope, versionId, ct);
        await scope.CommitAsync(ct);
        return new Transition(TransitionOutcome.Moved, state, from);
    }

    /// <summary>The gate's verdict on the version's current scores (read under the version's lock, so none can arrive meanwhile).</summary>
    static async Task<IReadOnlyList<GateFailure>> GateFailuresAsync(ActorScope scope, Guid versionId, PublishGate gate, CancellationToken ct) =>
        (await GateAsync(scope, versionId, gate, ct))!.Failures;

    /// <summary>The gate's verdict on a version's current scores; null when the actor cannot see the version.</summary>
    public static async Task<GateVerdict?> GateAsync(ActorScope scope, Guid versionId, PublishGate gate, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(gate);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT status FROM hephaestus.content_versions WHERE id = $1") { Parameters = { Uuid(versionId) } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT dimension, avg(normalized) FROM hephaestus.content_quality_scores
            WHERE content_version_id = $1 AND superseded_at IS NULL GROUP BY dimension
            """) { Parameters = { Uuid(versionId) } });
        // A human review is a current score by a person who did not write the version (four eyes).
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT EXISTS (
                SELECT FROM hephaestus.content_quality_scores s JOIN hephaestus.content_versions v ON v.id = s.content_version_id
                WHERE s.content_version_id = $1 AND s.superseded_at IS NULL AND s.evaluator_kind = 'human'
                  AND s.scored_by IS DISTINCT FROM v.created_by AND s.scored_by IS DISTINCT FROM v.human_author_id)
            """) { Parameters = { Uuid(versionId) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var status = ContentStatusNames.Parse(reader.GetString(0));
        await reader.NextResultAsync(ct);
        var means = new Dictionary<string, decimal>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct)) means[reader.GetString(0)] = reader.GetDecimal(1);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var human = reader.GetBoolean(0);
        return new GateVerdict(versionId, status, means, human, gate.Evaluate(means, human));
    }

    /// <summary>The page of versions in review, oldest first (keyset by id): $1 the cursor, $2 the rows to read.</summary>
    const string InReviewPage = "SELECT v.id FROM hephaestus.content_versions v WHERE v.status = 'in_review' AND ($1::uuid IS NULL OR v.id > $1) ORDER BY v.id LIMIT $2";

    /// <summary>
    /// The review queue: versions in review, oldest first, each with its provenance, its item's key and title, and the mean
    /// of its current scores per dimension, so a reviewer sees what waits and how it scored so far in one read.
    /// </summary>
    public static async Task<Page<ReviewQueueEntry>> QueueAsync(ActorScope scope, Guid? after, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var batch = scope.Batch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
            SELECT {ContentStore.VersionColumns}, i.key, i.title
            FROM hephaestus.content_versions v JOIN hephaestus.content_bodies b ON b.sha256 = v.body_sha256
            JOIN hephaestus.content_items i ON i.id = v.content_item_id
            WHERE v.id IN ({InReviewPage}) ORDER BY v.id
            """) { Parameters = { NullableUuid(after), Int(Paging.Fetch(size)) } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
            SELECT content_version_id, dimension, count(*)::int, round(avg(normalized), 4)
            FROM hephaestus.content_quality_scores
            WHERE superseded_at IS NULL AND content_version_id IN ({InReviewPage})
            GROUP BY content_version_id, dimension ORDER BY content_version_id, dimension
            """) { Parameters = { NullableUuid(after), Int(Paging.Fetch(size)) } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var entries = new List<ReviewQueueEntry>();
        while (await reader.ReadAsync(ct))
        {
            var count = ContentStore.VersionColumnCount;
            entries.Add(new ReviewQueueEntry(ContentStore.ReadVersion(reader), reader.GetString(count), reader.GetString(count + 1), []));
        }

        await reader.NextResultAsync(ct);
        var quality = new Dictionary<Guid, List<DimensionMean>>();
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            if (!quality.TryGetValue(id, out var means)) quality[id] = means = [];
            means.Add(new DimensionMean(reader.GetString(1), reader.GetInt32(2), reader.GetDecimal(3)));
        }

        return Paging.TrimById([.. entries.Select(e => quality.TryGetValue(e.Version.Id, out var q) ? e with { Quality = q } : e)], size, e => e.Version.Id);
    }
}
