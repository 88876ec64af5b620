using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Hephaestus.Server.Cli;
using Hephaestus.Server.Features.Analytics;
using Hephaestus.Server.Features.Assessments;
using Hephaestus.Server.Features.Cohorts;
using Hephaestus.Server.Features.Competencies;
using Hephaestus.Server.Features.Content;
using Hephaestus.Server.Features.Enrollments;
using Hephaestus.Server.Features.Events;
using Hephaestus.Server.Features.Gradebook;
using Hephaestus.Server.Features.Health;
using Hephaestus.Server.Features.Imports;
using Hephaestus.Server.Features.Mastery;
using Hephaestus.Server.Features.Paths;
using Hephaestus.Server.Features.Users;
using Hephaestus.Server.Features.Xapi;
using Hephaestus.Server.Hosting;
using Hephaestus.Server.Web;

// `hephaestus` serves the API; `hephaestus <verb>` runs a CLI verb on the same configuration; any other word is an error.
switch (HephaestusCli.Classify(args))
{
    case Invocation.Verb: return await HephaestusCli.RunAsync(args);
    case Invocation.UnknownVerb: return HephaestusCli.UnknownVerb(args, Console.Error);
}

var builder = WebApplication.CreateBuilder(HephaestusCli.ServeOptions(args));
builder.WebHost.UseUrls(builder.Configuration["Urls"] ?? "http://127.0.0.1:5080");

builder.AddHephaestusDatabase();
builder.AddHephaestusAnalytics();
builder.AddHephaestusStorage();
builder.AddHephaestusAuth();
builder.AddHephaestusApi();
builder.AddHephaestusWeb();
builder.AddHephaestusTelemetry();
builder.AddPersonalDataSections();
builder.Services.AddEventEffects(builder.Configuration);

var app = builder.Build();
app.UseHephaestusApi();

app.MapHealth();
app.MapApiDocs();
app.MapUsers();
app.MapCohorts();
app.MapCompetencies();
app.MapPaths();
app.MapEnrollments();
app.MapEnrollmentMigration();
app.MapCohortProgress();
app.MapMastery();
app.MapRubricScoring();
app.MapItems();
app.MapAssessments();
app.MapAttempts();
app.MapRegrade();
app.MapGradebook();
app.MapContent();
app.MapImports();
app.MapContentQuality();
app.MapContentReview();
app.MapContentRegeneration();
app.MapEvents();
app.MapXapi();
app.MapXapiCredentials();
app.MapItemAnalysis();
app.MapAnalytics();
app.MapEventAlignments();
app.MapWebApp();

app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
try
{
    await app.RunAsync();
}
catch (Exception e)
{
    // A start that fails (schema behind, database unreachable) ends with a message and exit code 1, not a stack trace.
    return HephaestusCli.Fail(e, Console.Error);
}

return 0;

/// <summary>Visible to the test host (WebApplicationFactory&lt;Program&gt;).</summary>
public partial class Program;
