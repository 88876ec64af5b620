using System.Net.Sockets;
using Npgsql;

namespace Hephaestus.Data.Tests.Kernel;

/// <summary>Which exceptions mean "the database is away or saturated" (503) rather than a fault of the request or the code.</summary>
public sealed class DatabaseAvailabilityTests
{
    static PostgresException Pg(string sqlState) => new("message", "FATAL", "FATAL", sqlState);

    [Theory]
    [InlineData("53000")] // insufficient_resources
    [InlineData("53100")] // disk_full
    [InlineData("53200")] // out_of_memory
    [InlineData("53300")] // too_many_connections
    [InlineData("57P01")] // admin_shutdown
    [InlineData("57P02")] // crash_shutdown
    [InlineData("57P03")] // cannot_connect_now (starting up, recovering)
    [InlineData("57014")] // statement_timeout
    [InlineData("55P03")] // lock_timeout: the rows are held by other work
    [InlineData("08006")] // connection_failure
    public void Resource_operator_and_connection_states_are_unavailable(string sqlState)
    {
        Assert.True(DatabaseAvailability.IsUnavailable(Pg(sqlState)));
    }

    [Theory]
    [InlineData("23505")] // unique_violation
    [InlineData("22P02")] // invalid_text_representation
    [InlineData("40001")] // serialization_failure: the edge answers it on its own
    [InlineData("42501")] // insufficient_privilege
    [InlineData("XX000")]
    public void Errors_of_the_request_or_the_code_are_not(string sqlState)
    {
        Assert.False(DatabaseAvailability.IsUnavailable(Pg(sqlState)));
    }

    [Fact]
    public void Refused_connections_pool_exhaustion_timeouts_and_broken_streams_are_unavailable()
    {
        Assert.True(DatabaseAvailability.IsUnavailable(new NpgsqlException("Failed to connect to 127.0.0.1:1", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(DatabaseAvailability.IsUnavailable(new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));
        Assert.True(DatabaseAvailability.IsUnavailable(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())));
        Assert.True(DatabaseAvailability.IsUnavailable(new TimeoutException()));
        Assert.True(DatabaseAvailability.IsUnavailable(new InvalidOperationException("wrapped", Pg("57P01"))));
    }

    [Fact]
    public void Cancellation_by_the_caller_and_other_faults_are_not()
    {
        Assert.False(DatabaseAvailability.IsUnavailable(new OperationCanceledException("client went away", Pg("57014"))));
        Assert.False(DatabaseAvailability.IsUnavailable(new NpgsqlException("bad state")));
        Assert.False(DatabaseAvailability.IsUnavailable(new InvalidOperationException("a bug")));
    }

    [Fact]
    public void Only_the_sessions_own_timeouts_read_as_busy()
    {
        Assert.True(DatabaseAvailability.IsTimedOut(Pg("55P03")));
        Assert.True(DatabaseAvailability.IsTimedOut(Pg("57014")));
        Assert.False(DatabaseAvailability.IsTimedOut(Pg("57P01")));
    }

    [Fact]
    public void Waiting_for_a_pooled_connection_poisons_no_connection_but_a_protocol_error_does()
    {
        // Clearing the pool on every pool-exhausted 503 would reconnect everything exactly when the service is overloaded.
        Assert.False(HephaestusDatabase.PoisonsConnections(new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));
        Assert.False(HephaestusDatabase.PoisonsConnections(Pg("55P03")));
        Assert.True(HephaestusDatabase.PoisonsConnections(new NpgsqlException("unexpected backend message")));
        Assert.True(HephaestusDatabase.PoisonsConnections(Pg("22021")));
    }
}
