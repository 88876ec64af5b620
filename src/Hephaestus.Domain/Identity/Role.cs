namespace Hephaestus.Domain.Identity;

/// <summary>The roles a user holds (users.roles; the ck_users_roles_known constraint lists the same six).</summary>
public static class Role
{
    public const string Learner = "learner";
    public const string Educator = "educator";
    public const string Author = "author";
    public const string Analyst = "analyst";
    public const string Admin = "admin";

    /// <summary>Scores content versions and approves or rejects them (never their own: four eyes).</summary>
    public const string Reviewer = "reviewer";

    public static readonly IReadOnlyList<string> All = [Learner, Educator, Author, Analyst, Admin, Reviewer];
}
