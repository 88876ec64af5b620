using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Hephaestus.Data.Learning;

namespace Hephaestus.Data.Events;

/// <summary>What one call applied: evidence rows offered to the learner record, content views recorded, learners touched.</summary>
public sealed record EventEffectsSummary(int Evidence, int Views, int Learners)
{
    public static readonly EventEffectsSummary None = new(0, 0, 0);
}

/// <summary>
/// What stored events do to learner state (issue 11, part 5), called by both doors (native batches, xAPI statements) in
/// their insert transaction with the rows actually stored (duplicates excluded), so the effects commit with the events
/// or not at all. A scored event on an aligned activity becomes evidence (source <c>event</c>) through
/// <see cref="LearnerRecord"/>, which records it at most once per event and skill; a content-viewed event records an
/// exposure and completes content steps. Matching is in memory (<see cref="ActivityAlignments"/>, the rules): a batch
/// nothing matches costs no round trip. What matches is written per learner (learners in id order, so concurrent
/// batches lock in one order), each learner's events in the order they occurred, set-based.
/// The doors call the static <see cref="ApplyAsync"/> with the process's <see cref="LearnerRecord"/>; the rules and the
/// alignments' cache are attached to that learner record at start (<see cref="Attach"/>), so each service host (and
/// each test host in one process) keeps its own.
/// </summary>
public static class EventEffects
{
    static readonly ConditionalWeakTable<LearnerRecord, EventEffectsProcessor> Attached = [];

    /// <summary>The rules and the alignments' cache this learner record's events are matched with.</summary>
    public static void Attach(LearnerRecord learning, EventEffectsRules rules, ActivityAlignments alignments) =>
        Attached.AddOrUpdate(learning, new EventEffectsProcessor(alignments, rules));

    /// <summary>Applies what the stored rows do, in the door's transaction (the defaults when nothing was attached).</summary>
    public static Task<EventEffectsSummary> ApplyAsync(ActorScope scope, LearnerRecord learning, IReadOnlyList<StoredEvent> stored, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(learning);
        return Attached.GetValue(learning, _ => new EventEffectsProcessor(new ActivityAlignments(TimeSpan.FromSeconds(30)), new EventEffectsRules()))
            .ApplyAsync(scope, learning, stored, ct);
    }
}

/// <summary>The matching and recording behind <see cref="EventEffects"/>: one per learner record, so one per process.</summary>
public sealed class EventEffectsProcessor(ActivityAlignments alignments, EventEffectsRules rules)
{
    const string ItemsOfVersions = "SELECT id, content_item_id FROM hephaestus.content_versions WHERE id = ANY ($1)";

    /// <summary>A content version never moves to another item: remembered once seen (bounded; cleared when full).</summary>
    const int MaxRememberedVersions = 100_000;

    readonly ConcurrentDictionary<Guid, Guid> _itemOfVersion = new();

    public EventEffectsRules Rules => rules;

    public async Task<EventEffectsSummary> ApplyAsync(ActorScope scope, LearnerRecord learning, IReadOnlyList<StoredEvent> stored, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(learning);
        ArgumentNullException.ThrowIfNull(stored);

        var scored = new List<(StoredEvent Event, double Score)>();
        var viewed = new List<(StoredEvent Event, Guid Version)>();
        foreach (var e in stored)
        {
            if (rules.EvidenceScore(e) is { } score) scored.Add((e, score));
            if (rules.ViewedContentVersion(e) is { } version) viewed.Add((e, version));
        }

        if (scored.Count == 0 && viewed.Count == 0) return EventEffectsSummary.None;

        var evidence = new List<(Guid Learner, DateTimeOffset At, Guid EventId, NewEvidence Evidence)>();
        if (scored.Count > 0)
        {
            var skillsOf = await alignments.MatcherAsync(scope, ct);
            foreach (var (e, score) in scored)
            {
                foreach (var aligned in skillsOf(e.ObjectId))
                {
                    evidence.Add((e.LearnerId, e.OccurredAt, e.Id, new NewEvidence(aligned.SkillId, score, aligned.Weight, e.OccurredAt, null, "event",
                        ItemVersionId: aligned.ItemVersionId, EventId: e.Id)));
                }
            }
        }

        var views = new List<(Guid Learner, DateTimeOffset At, Guid EventId, ContentView View)>();
        if (viewed.Count > 0)
        {
            var items = await ItemsOfAsync(scope, [.. viewed.Select(v => v.Version).Distinct()], ct);
            foreach (var (e, version) in viewed)
            {
                // A version the actor cannot see (unpublished, for a learner) or that does not exist changes nothing.
                if (items.TryGetValue(version, out var item)) views.Add((e.LearnerId, e.OccurredAt, e.Id, new ContentView(e.Id, e.OccurredAt, version, item)));
            }
        }

        if (evidence.Count == 0 && views.Count == 0) return EventEffectsSummary.None;

        var learners = evidence.Select(x => x.Learner).Concat(views.Select(x => x.Learner)).Distinct().Order().ToList();
        var evidenceBy = evidence.ToLookup(x => x.Learner);
        var viewsBy = views.ToLookup(x => x.Learner);
        foreach (var learner in learners)
        {
            await learning.RecordEventEffectsAsync(scope, learner,
                [.. evidenceBy[learner].OrderBy(x => x.At).ThenBy(x => x.EventId).Select(x => x.Evidence)],
                [.. viewsBy[learner].OrderBy(x => x.At).ThenBy(x => x.EventId).Select(x => x.View)], ct);
        }

        return new EventEffectsSummary(evidence.Count, views.Count, learners.Count);
    }

    async Task<Dictionary<Guid, Guid>> ItemsOfAsync(ActorScope scope, Guid[] versions, CancellationToken ct)
    {
        var found = new Dictionary<Guid, Guid>();
        var unknown = new List<Guid>();
        foreach (var version in versions)
        {
            if (_itemOfVersion.TryGetValue(version, out var item)) found[version] = item;
            else unknown.Add(version);
        }

        if (unknown.Count == 0) return found;
        await using var command = scope.Command(ItemsOfVersions);
        command.Parameters.Add(SqlParameters.Uuids([.. unknown]));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (_itemOfVersion.Count > MaxRememberedVersions) _itemOfVersion.Clear();
        while (await reader.ReadAsync(ct))
        {
            found[reader.GetGuid(0)] = reader.GetGuid(1);
            _itemOfVersion[reader.GetGuid(0)] = reader.GetGuid(1);
        }

        return found;
    }
}
