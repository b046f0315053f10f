using Appliance.Api.Crm;
using Appliance.Api.Health;
using Appliance.Api.Http;
using Appliance.Api.Json;
using Appliance.Api.Tickets;
using Appliance.Domain.Crm;
using Appliance.Domain.Tickets;
using Appliance.Platform.Configuration;
using Appliance.Platform.Database;
using Appliance.Platform.Hosting;
using Appliance.Platform.Redis;
using Microsoft.AspNetCore.Http.Json;

namespace Appliance.Api;

/// <summary>Composes the API: configuration, services, the middleware order and the explicitly mapped modules.</summary>
public static class ApiHost
{
    /// <summary>Builds the application; a bad setting throws <see cref="ConfigurationException"/> before anything listens.</summary>
    /// <param name="args">Command-line arguments (<c>--Key=value</c> settings).</param>
    /// <param name="overrides">Settings that win over every other source (tests).</param>
    /// <param name="configure">Last-minute service changes before the app is built (tests add log capture here).</param>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddApplianceSources(args);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var settings = ApplianceSettings.Load(builder.Configuration);
        builder.Services.AddSingleton(settings);

        builder.Logging.ClearProviders();
        // Our RequestIdMiddleware scope replaces the hosting scope (whose id is Kestrel's connection id) and trace ids.
        builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.IncludeScopes = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        builder.WebHost.UseUrls(settings.Http.Url.GetLeftPart(UriPartial.Authority));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.Http.MaxRequestBodyBytes;
        });

        builder.Services.ConfigureHttpJsonOptions(options => ConfigureJson(options));
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "PSA Appliance API";
            document.Info.Version = "v1";
            return Task.CompletedTask;
        }));

        builder.Services.AddSingleton(_ => ApplianceDataSource.Create(settings.Database.ConnectionString, "appliance-api"));
        builder.Services.AddSingleton<IRedisClient>(_ => new RedisClient(settings.Redis));
        builder.Services.AddSingleton(services => new Migrator(
            services.GetRequiredService<Npgsql.NpgsqlDataSource>(),
            Migration.Embedded(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<Migrator>()));
        builder.Services.AddSingleton<CustomerStore>();
        builder.Services.AddSingleton<TicketStore>();
        builder.Services.AddSystemdNotify();

        configure?.Invoke(builder);
        var app = builder.Build();
        UsePipeline(app, settings);
        MapModules(app);
        return app;
    }

    private static void ConfigureJson(JsonOptions options)
    {
        options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        options.SerializerOptions.DictionaryKeyPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        options.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow;
    }

    private static void UsePipeline(WebApplication app, ApplianceSettings settings)
    {
        var requestIdLogger = app.Services.GetRequiredService<ILogger<RequestIdMiddleware>>();
        var errorLogger = app.Services.GetRequiredService<ILogger<ErrorHandlingMiddleware>>();
        app.Use(next => new RequestIdMiddleware(next, requestIdLogger, settings.Http.InstanceName).InvokeAsync);
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            await ApiErrors.WriteAsync(http, status, ErrorCodes.ForStatus(status), ErrorHandlingMiddleware.DescribeStatus(http, status, settings.Http.MaxRequestBodyBytes));
        });
        app.Use(next => new ErrorHandlingMiddleware(next, errorLogger, settings.Http.MaxRequestBodyBytes).InvokeAsync);
    }

    private static void MapModules(WebApplication app)
    {
        app.MapHealthApi();
        app.MapOpenApi("/api/{documentName}/openapi.json");
        app.MapCustomersApi();
        app.MapTicketsApi();
    }
}
