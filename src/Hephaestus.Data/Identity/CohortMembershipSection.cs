namespace Hephaestus.Data.Identity;

/// <summary>The cohorts a user belongs to, for their personal data export.</summary>
public sealed class CohortMembershipSection() : JsonSection("cohortMemberships", """
    SELECT coalesce(json_agg(json_build_object('cohortId', m.cohort_id, 'name', c.name, 'role', m.member_role, 'addedAt', m.added_at)
        ORDER BY m.added_at), '[]')
    FROM hephaestus.cohort_members m JOIN hephaestus.cohorts c ON c.id = m.cohort_id
    WHERE m.user_id = $1
    """);
