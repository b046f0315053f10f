using System.Text.Json;
using System.Text.Json.Serialization;

namespace Appliance.Domain.Tickets;

/// <summary>How comments and time entries appear in audit values and event payloads (snake_case, generated at compile time).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TicketComment))]
[JsonSerializable(typeof(TimeEntry))]
public sealed partial class ServiceDeskJsonContext : JsonSerializerContext;
