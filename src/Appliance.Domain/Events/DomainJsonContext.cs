using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Domain.Crm;
using Appliance.Domain.Tickets;

namespace Appliance.Domain.Events;

/// <summary>How entities appear in audit values and event payloads: the API's snake_case shape, generated at compile time.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(Customer))]
[JsonSerializable(typeof(Contact))]
[JsonSerializable(typeof(Site))]
[JsonSerializable(typeof(Ticket))]
public sealed partial class DomainJsonContext : JsonSerializerContext;
