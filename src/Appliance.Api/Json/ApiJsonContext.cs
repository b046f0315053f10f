using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Api.Crm;
using Appliance.Api.Health;
using Appliance.Api.Http;
using Appliance.Domain.Crm;
using Appliance.Domain.Tickets;

namespace Appliance.Api.Json;

/// <summary>Every type the API reads or writes, generated at compile time (no reflection-based serialisation).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(Customer))]
[JsonSerializable(typeof(CreateCustomerRequest))]
[JsonSerializable(typeof(ListResponse<Customer>))]
[JsonSerializable(typeof(Ticket))]
[JsonSerializable(typeof(ListResponse<Ticket>))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
