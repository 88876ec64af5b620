using System.Net.Sockets;
using Npgsql;

namespace Hephaestus.Data;

/// <summary>
/// Tells a database that is away or saturated (retrying later can succeed, the request itself is fine) from an error of
/// the request. The edge answers the first with 503 and Retry-After instead of 500.
/// </summary>
public static class DatabaseAvailability
{
    /// <summary>
    /// True for: no connection (refused, reset, broken mid-statement: Npgsql wraps the socket or I/O error); a timeout
    /// (Npgsql's wait for a pooled connection when the pool is exhausted, connecting, or a command timeout: a
    /// <see cref="TimeoutException"/>, bare or inside an NpgsqlException); and SQLSTATE class 08 (connection exception),
    /// class 53 (insufficient resources: disk full, out of memory, too many connections), 57P (operator intervention:
    /// admin or crash shutdown, cannot connect now, database dropped), 57014 (statement_timeout) and 55P03 (lock_timeout:
    /// the rows the request needs are held by other work; it changed nothing and can be retried).
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // The caller gave up (the client went away): Npgsql reports the server's 57014 inside; not an outage.
                case OperationCanceledException:
                    return false;
                case PostgresException pg:
                    return IsUnavailableState(pg.SqlState);
                case TimeoutException:
                    return true;
                case NpgsqlException { InnerException: SocketException or IOException or TimeoutException }:
                    return true;
            }
        }

        return false;
    }

    public static bool IsUnavailableState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal)
        || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState.StartsWith("57P", StringComparison.Ordinal)
        || sqlState == PostgresErrorCodes.QueryCanceled
        || sqlState == PostgresErrorCodes.LockNotAvailable;

    /// <summary>True for a timeout the session's own limits raised (statement_timeout, lock_timeout): busy, not away.</summary>
    public static bool IsTimedOut(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.LockNotAvailable };
}
