namespace Hephaestus.Data.Content;

/// <summary>
/// What a user wrote about content: the quality scores they gave (with their rationales), the review moves they made and
/// the flags they raised. Their record of others' work: erasing them keeps these rows and forgets who.
/// </summary>
public sealed class ContentReviewGivenSection() : JsonSection("contentReviewGiven", """
    SELECT json_build_object(
        'qualityScores', coalesce((SELECT json_agg(json_build_object('id', s.id, 'versionId', s.content_version_id, 'dimension', s.dimension,
            'score', s.score, 'evaluatorKind', s.evaluator_kind, 'rationale', s.rationale, 'scoredAt', s.scored_at, 'supersededAt', s.superseded_at)
            ORDER BY s.id) FROM hephaestus.content_quality_scores s WHERE s.scored_by = $1), '[]'),
        'reviewMoves', coalesce((SELECT json_agg(json_build_object('versionId', e.content_version_id, 'from', e.from_status, 'to', e.to_status,
            'reason', e.reason, 'at', e.at) ORDER BY e.id) FROM hephaestus.content_review_events e WHERE e.actor_id = $1), '[]'),
        'flags', coalesce((SELECT json_agg(json_build_object('versionId', f.content_version_id, 'source', f.source, 'reason', f.reason,
            'flaggedAt', f.flagged_at) ORDER BY f.id) FROM hephaestus.content_flags f WHERE f.flagged_by = $1), '[]'))
    """);
