// The OpenAPI 3.0 description of the routes src/api/server.cc serves (keep the two in step; a test
// checks that every documented path answers and every served path is documented).
#include "api/server.h"

namespace prognos::api {

const std::string& OpenApiDocument() {
  static const std::string kDoc = R"json({
  "openapi": "3.0.3",
  "info": {"title": "prognos", "version": "0.1.0",
           "description": "Health-stream ingest, series reads and process metrics of the prognos daemon."},
  "components": {
    "schemas": {
      "Error": {"type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"],
          "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
      "Rejection": {"type": "object", "required": ["line", "reason", "message"],
        "properties": {"line": {"type": "integer", "description": "1-based line or array element"},
                       "indicator": {"type": "string"},
                       "reason": {"type": "string", "enum": ["bad_json", "missing_field", "invalid_field",
                         "non_finite", "out_of_order", "too_old", "duplicate_timestamp", "too_far_in_future",
                         "unknown_indicator", "too_large", "bad_snappy", "bad_protobuf", "invalid_labels"]},
                       "message": {"type": "string"}}},
      "IngestReply": {"type": "object", "required": ["accepted_samples", "rejected_samples", "rejected"],
        "properties": {"accepted_samples": {"type": "integer"}, "rejected_samples": {"type": "integer"},
                       "rejected": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/Rejection"}},
                       "error": {"type": "object"}}},
      "Series": {"type": "object", "properties": {"id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "first": {"type": "integer", "description": "epoch ms"}, "last": {"type": "integer"},
        "samples": {"type": "integer"}}},
      "Host": {"type": "object", "properties": {"host": {"type": "string"},
        "components": {"type": "array", "items": {"type": "string"}},
        "indicators": {"type": "array", "items": {"type": "string"}},
        "series": {"type": "integer"}, "samples": {"type": "integer"}, "last": {"type": "integer"}}}
    },
    "parameters": {
      "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
      "cursor": {"name": "cursor", "in": "query", "schema": {"type": "string"},
                 "description": "next_cursor of the previous page"}
    }
  },
  "paths": {
    "/v1/health": {"post": {"summary": "Ingest health messages (JSON lines or a JSON array)",
      "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}},
                                                    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
      "responses": {"200": {"description": "some or all samples stored durably", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestReply"}}}},
                    "400": {"description": "no valid message", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestReply"}}}},
                    "413": {"description": "body over ingest.max_body_bytes", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "503": {"description": "storage failure; nothing acknowledged, retry", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/api/v1/write": {"post": {"summary": "Prometheus remote-write 1.0 (snappy raw block of a protobuf prometheus.WriteRequest); series identity is the full label set, host/component added from instance/job when absent",
      "parameters": [{"name": "Content-Encoding", "in": "header", "required": true, "schema": {"type": "string", "enum": ["snappy"]}},
                     {"name": "X-Prometheus-Remote-Write-Version", "in": "header", "schema": {"type": "string", "example": "0.1.0"}}],
      "requestBody": {"required": true, "content": {"application/x-protobuf": {"schema": {"type": "string", "format": "binary"}}}},
      "responses": {"204": {"description": "every sample stored durably"},
                    "200": {"description": "some samples stored durably, others rejected (line = 1-based TimeSeries index)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestReply"}}}},
                    "400": {"description": "bad data, do not retry: bad_snappy, bad_protobuf, or every sample rejected", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "413": {"description": "body or decompressed WriteRequest over the limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "415": {"description": "missing Content-Encoding: snappy, or not remote-write 1.0", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "503": {"description": "storage failure; nothing acknowledged, retry", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/series": {"get": {"summary": "List series matching label filters",
      "parameters": [{"name": "match[]", "in": "query", "schema": {"type": "string"}, "description": "Prometheus series selector; repeatable (OR)"},
                     {"name": "host", "in": "query", "schema": {"type": "string"}},
                     {"name": "component", "in": "query", "schema": {"type": "string"}},
                     {"name": "indicator", "in": "query", "schema": {"type": "string"}},
                     {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"}],
      "responses": {"200": {"description": "series page", "content": {"application/json": {"schema": {"type": "object",
                      "properties": {"series": {"type": "array", "items": {"$ref": "#/components/schemas/Series"}}, "next_cursor": {"type": "string", "nullable": true}}}}}},
                    "400": {"description": "bad selector, limit or cursor", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/series/{id}/samples": {"get": {"summary": "Samples of one series in a time range",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                     {"name": "from", "in": "query", "schema": {"type": "string"}, "description": "RFC 3339 or epoch s/ms, inclusive"},
                     {"name": "to", "in": "query", "schema": {"type": "string"}, "description": "inclusive"},
                     {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"}],
      "responses": {"200": {"description": "[[epoch_ms, value], ...]; NaN/Inf as strings"},
                    "400": {"description": "bad parameter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "404": {"description": "unknown series", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/hosts": {"get": {"summary": "Hosts seen in the stream",
      "parameters": [{"name": "component", "in": "query", "schema": {"type": "string"}},
                     {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"}],
      "responses": {"200": {"description": "host page", "content": {"application/json": {"schema": {"type": "object",
                      "properties": {"hosts": {"type": "array", "items": {"$ref": "#/components/schemas/Host"}}, "next_cursor": {"type": "string", "nullable": true}}}}}}}}},
    "/v1/hosts/{id}": {"get": {"summary": "One host: its series with latest values and signals (entropy, anomaly score, one-step forecast), composite entropy and recent anomaly alarms",
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "host detail"},
                    "404": {"description": "unknown host", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/forecasts/{series}": {"get": {"summary": "Forecast of one series with prediction intervals (rolling-backtest model selection)",
      "parameters": [{"name": "series", "in": "path", "required": true, "schema": {"type": "string"}, "description": "series id"},
                     {"name": "horizon", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 12}, "description": "steps ahead"},
                     {"name": "level", "in": "query", "schema": {"type": "number", "default": 0.8}, "description": "interval level, (0,1) or a percentage"}],
      "responses": {"200": {"description": "model, season, backtest error, and points [{step, t, mean, lower, upper}]"},
                    "400": {"description": "bad horizon or level", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "404": {"description": "unknown series", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "422": {"description": "the series cannot be forecast (e.g. no finite value)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/metrics": {"get": {"summary": "Prometheus text exposition (every name prefixed prognos_)",
      "responses": {"200": {"description": "text/plain; version=0.0.4"}}}},
    "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
    "/readyz": {"get": {"summary": "Readiness (the store is open and its WAL replayed)", "responses": {"200": {"description": "ready"}}}},
    "/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3 JSON"}}}}
  }
})json";
  return kDoc;
}

}  // namespace prognos::api
