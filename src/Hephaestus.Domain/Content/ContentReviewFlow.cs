using Hephaestus.Domain.Identity;

namespace Hephaestus.Domain.Content;

/// <summary>Why a transition is refused; <see cref="None"/> when it may be made.</summary>
public enum TransitionRefusal
{
    None,

    /// <summary>The pair (from, to) is not a move of the lifecycle.</summary>
    Illegal,

    /// <summary>The move exists but the actor holds none of the roles that make it.</summary>
    Role,

    /// <summary>Approving one's own version (four eyes: the reviewer is someone other than the author).</summary>
    OwnVersion,

    /// <summary>Sending a version back to draft says why.</summary>
    ReasonRequired,
}

/// <summary>
/// The review lifecycle of a content version, as a table of legal moves and who makes each:
/// draft → in_review (submit: authors) → approved (reviewers) or back to draft (reject, with a reason: reviewers; or the
/// author withdraws it) → published (the publish gate decides) → retired; an approved version that will not go out can
/// be retired too. Admins make every move. The database holds the same table (content_transition_allowed), so a move
/// refused here is refused there whatever path the statement takes.
/// </summary>
public static class ContentReviewFlow
{
    static readonly string[] Authors = [Role.Author, Role.Admin];
    static readonly string[] Reviewers = [Role.Reviewer, Role.Admin];
    static readonly string[] Staff = [Role.Author, Role.Reviewer, Role.Admin];

    static readonly Dictionary<(ContentStatus From, ContentStatus To), string[]> Moves = new()
    {
        [(ContentStatus.Draft, ContentStatus.InReview)] = Authors,
        [(ContentStatus.InReview, ContentStatus.Draft)] = Staff,
        [(ContentStatus.InReview, ContentStatus.Approved)] = Reviewers,
        [(ContentStatus.Approved, ContentStatus.Published)] = Staff,
        [(ContentStatus.Approved, ContentStatus.Retired)] = Staff,
        [(ContentStatus.Published, ContentStatus.Retired)] = Staff,
    };

    /// <summary>Whether (from, to) is a move of the lifecycle at all, whoever asks.</summary>
    public static bool IsLegal(ContentStatus from, ContentStatus to) => Moves.ContainsKey((from, to));

    /// <summary>The roles that may make the move; empty when it is not a move.</summary>
    public static IReadOnlyList<string> RolesFor(ContentStatus from, ContentStatus to) =>
        Moves.TryGetValue((from, to), out var roles) ? roles : [];

    /// <summary>The statuses a version in <paramref name="from"/> can move to.</summary>
    public static IReadOnlyList<ContentStatus> Next(ContentStatus from) => [.. Moves.Keys.Where(m => m.From == from).Select(m => m.To)];

    /// <summary>Whether this actor may make this move now; the first reason it may not.</summary>
    public static TransitionRefusal Check(ContentStatus from, ContentStatus to, IReadOnlyCollection<string> actorRoles, bool actorIsAuthor, string? reason)
    {
        ArgumentNullException.ThrowIfNull(actorRoles);
        if (!Moves.TryGetValue((from, to), out var roles)) return TransitionRefusal.Illegal;
        if (!roles.Any(actorRoles.Contains)) return TransitionRefusal.Role;
        if (to == ContentStatus.Approved && actorIsAuthor) return TransitionRefusal.OwnVersion;
        if (from == ContentStatus.InReview && to == ContentStatus.Draft && string.IsNullOrWhiteSpace(reason)) return TransitionRefusal.ReasonRequired;
        return TransitionRefusal.None;
    }
}
