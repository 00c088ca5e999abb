// Routes of the control loop (issue #12): decisions (audit), allocations, risks, alerts and
// preferences, answered from an engine::Controller. Internal to src/api.
#pragma once

#include <httplib.h>

#include "core/clock.h"
#include "engine/controller.h"

namespace prognos::api {

// Registers GET /v1/decisions, /v1/allocations, /v1/risks, /v1/alerts, /v1/preferences and
// PUT /v1/preferences. `controller` may be null (no planner configured): the GET routes then
// answer empty lists and PUT answers 503.
void RegisterControlRoutes(httplib::Server& server, engine::Controller* controller,
                           const Clock& clock);

}  // namespace prognos::api
