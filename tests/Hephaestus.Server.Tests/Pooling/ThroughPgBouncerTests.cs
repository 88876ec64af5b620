using Hephaestus.Server.Tests.Assessments;
using Hephaestus.Server.Tests.Events;
using Hephaestus.Server.Tests.Paths;
using Hephaestus.Server.Tests.Users;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Pooling;

// A representative part of the API's integration tests run again with the service behind a real PgBouncer in transaction
// mode (Database:Pooler=transaction): identity (with concurrent If-Match updates), path authoring, assessment submission
// with mastery (with concurrent starts and 64 concurrent submissions), and events ingestion. Each class inherits every test
// of its direct twin; only the fixture differs.

public sealed class UsersApiThroughPgBouncerTests(PgBouncerApiDatabase db) : UsersApiTests(db), IClassFixture<PgBouncerApiDatabase>;

public sealed class PathsAuthoringThroughPgBouncerTests(PgBouncerApiDatabase db) : PathsAuthoringTests(db), IClassFixture<PgBouncerApiDatabase>;

public sealed class AssessmentThroughPgBouncerTests(PgBouncerApiDatabase db) : AssessmentTests(db), IClassFixture<PgBouncerApiDatabase>;

public sealed class EventsApiThroughPgBouncerTests(PgBouncerApiDatabase db) : EventsApiTests(db), IClassFixture<PgBouncerApiDatabase>;
