using System.Diagnostics;
using System.Globalization;

namespace Hephaestus.Server.Api;

/// <summary>
/// Opt-in (<c>Diagnostics:ServerTiming=true</c>): a <c>Server-Timing</c> header on every response that says where the time
/// went until the response started: <c>auth</c> (authentication and the actor lookup, its database time included),
/// <c>db</c> (database commands after authentication, with their count), <c>app</c> (everything else: routing, limits,
/// validation, domain rules, and the serialization of a body that fits the response buffer) and <c>total</c>. Browsers'
/// developer tools and <c>curl -D -</c> show it per request, so a slow request explains itself without a profiler.
/// Database time is the duration of Npgsql's own activities (one per command), summed for the request they run in.
/// </summary>
public sealed class ServerTiming(RequestDelegate next)
{
    public const string SettingName = "Diagnostics:ServerTiming";
    const string TimesProperty = "hephaestus.server-timing";

    static readonly AsyncLocal<RequestTimes?> Current = new();

    // One listener for the process, whatever the number of hosts in it (the test host makes several): two listeners would
    // count each command twice. It creates Npgsql's activities only inside a timed request; OpenTelemetry, when exporting,
    // listens on its own terms.
    static readonly ActivityListener DatabaseListener = StartDatabaseListener();

    public Task InvokeAsync(HttpContext context)
    {
        GC.KeepAlive(DatabaseListener);
        var times = new RequestTimes(Stopwatch.GetTimestamp());
        Current.Value = times;
        context.Features.Set(times);
        context.Response.OnStarting(() =>
        {
            context.Response.Headers["Server-Timing"] = times.Header(Stopwatch.GetTimestamp());
            return Task.CompletedTask;
        });
        return next(context);
    }

    /// <summary>Placed right after authentication: the time so far (and the database time in it) was authentication's.</summary>
    public static Task MarkAuthenticated(HttpContext context, RequestDelegate next)
    {
        context.Features.Get<RequestTimes>()?.Authenticated(Stopwatch.GetTimestamp());
        return next(context);
    }

    static ActivityListener StartDatabaseListener()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => Current.Value is null ? ActivitySamplingResult.None : ActivitySamplingResult.AllData,
            // The request is known where the command starts (its execution context); the stop may run elsewhere.
            ActivityStarted = activity =>
            {
                if (Current.Value is { } times) activity.SetCustomProperty(TimesProperty, times);
            },
            ActivityStopped = activity => (activity.GetCustomProperty(TimesProperty) as RequestTimes)?.AddDatabase(activity.Duration),
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    sealed class RequestTimes(long started)
    {
        long _authenticatedAt;
        long _databaseTicks;
        long _databaseTicksAtAuthentication;
        int _commands;
        int _commandsAtAuthentication;

        public void Authenticated(long now)
        {
            _authenticatedAt = now;
            _databaseTicksAtAuthentication = Interlocked.Read(ref _databaseTicks);
            _commandsAtAuthentication = Volatile.Read(ref _commands);
        }

        public void AddDatabase(TimeSpan duration)
        {
            Interlocked.Add(ref _databaseTicks, duration.Ticks);
            Interlocked.Increment(ref _commands);
        }

        public string Header(long now)
        {
            var total = Stopwatch.GetElapsedTime(started, now).TotalMilliseconds;
            var auth = _authenticatedAt == 0 ? 0 : Stopwatch.GetElapsedTime(started, _authenticatedAt).TotalMilliseconds;
            var database = TimeSpan.FromTicks(Interlocked.Read(ref _databaseTicks) - _databaseTicksAtAuthentication).TotalMilliseconds;
            var commands = Volatile.Read(ref _commands) - _commandsAtAuthentication;
            var app = Math.Max(0, total - auth - database);
            return string.Create(CultureInfo.InvariantCulture,
                $"auth;dur={auth:0.###}, db;dur={database:0.###};desc=\"{commands} commands\", app;dur={app:0.###}, total;dur={total:0.###}");
        }
    }
}
