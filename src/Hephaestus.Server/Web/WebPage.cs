namespace Hephaestus.Server.Web;

/// <summary>What pages share beside components: the HTTP status a refused read gives the page, and ids from titles.</summary>
public static class WebPage
{
    /// <summary>
    /// When the page's own subject was refused or not found by the API (another learner's id typed into the URL), the
    /// page answers with that status too, not a 200 with an error on it.
    /// </summary>
    public static void StatusFrom(HttpContext http, params ApiProblem?[] problems)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (problems.FirstOrDefault(p => p?.Status is 401 or 403 or 404) is not { } refusal) return;
        http.Response.StatusCode = refusal.Status;
        // A 401 or 403 page shows the API's refusal itself, so the status page must not replace it. A component's 404 is
        // sent without a body by the framework (Razor components hand it to the status page): that one re-executes as
        // /error/404, "Not found", which is also all the API says about another learner's id.
        if (refusal.Status != 404 && http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } statusPages) statusPages.Enabled = false;
    }

    public static string Slug(string text) =>
        string.Concat(text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')).Trim('-');
}
