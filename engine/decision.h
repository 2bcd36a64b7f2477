// decide(): judges one declaration against the ledger's current state, as
// the Dimona service does, and says A, W, B or S with the glossary's anomaly
// codes (docs/declarations.md lists every code produced, with an example).
//
// Contract. Pure: reads the state, never changes it; the caller appends the
// resulting event and folds it (LedgerState::apply), so the next declaration
// sees this one. A blocking anomaly gives B, only non-blocking ones give W
// (90017-369 quota exceeded with the exceeding hours, 90017-510 flexi
// conditions not met (flexi.h), 90373-460 late), a
// worker known only by identity gives S, otherwise A. For an IN the caller
// assigns the period id when none was imported (Decision::period_id == 0).
// At most kAnomaliesMax anomalies are reported, the first found first.
#pragma once

#include "engine/base/time.h"
#include "engine/declaration.h"
#include "engine/event.h"
#include "engine/ledger_state.h"
#include "engine/remote_facts.h"

namespace dimona {

// Anomaly codes, ZZZZZNNN (zone, number).
namespace anomaly {
inline constexpr uint32_t kEmployerMissing = 90256364;          // RSZ-nummer of ondernemingsnummer verplicht
inline constexpr uint32_t kEnterpriseNumberInvalid = 14003;     // 00014-003
inline constexpr uint32_t kEnterpriseNumberMismatch = 14347;    // 00014-347
inline constexpr uint32_t kNssoNumberInvalid = 11003;           // 00011-003
inline constexpr uint32_t kNssoNumberMismatch = 11347;          // 00011-347
inline constexpr uint32_t kWorkerMissing = 90017363;            // INSZ of identificatiegegevens verplicht
inline constexpr uint32_t kSsinInvalid = 24003;                 // 00024-003
inline constexpr uint32_t kSsinMismatch = 24347;                // 00024-347
inline constexpr uint32_t kQuotaExceeded = 90017369;            // NP
inline constexpr uint32_t kFlexiConditions = 90017510;          // NP: flexi-job conditions not met (rule 13)
inline constexpr uint32_t kWorkerTypeMissing = 655001;          // 00655-001
inline constexpr uint32_t kWorkerTypeInvalid = 655003;          // 00655-003
inline constexpr uint32_t kJointCommissionMissing = 46001;      // 00046-001
inline constexpr uint32_t kJointCommissionInvalid = 46003;      // 00046-003
inline constexpr uint32_t kStartDateMissing = 910001;           // 00910-001
inline constexpr uint32_t kStartDateInvalid = 910003;           // 00910-003
inline constexpr uint32_t kStartDateForbidden = 910005;         // 00910-005 (STU start is immutable)
inline constexpr uint32_t kStartDateOutOfDomain =
    910008;  // 00910-008 (the dates' domain; FLX or O17/S17/T17 sent too early)
inline constexpr uint32_t kExtraTooLong = 910459;               // 00910-459
inline constexpr uint32_t kEndDateMissing = 911001;             // 00911-001
inline constexpr uint32_t kEndDateInvalid = 911003;             // 00911-003
inline constexpr uint32_t kEndDateOutOfDomain = 911008;         // 00911-008
inline constexpr uint32_t kEndBeforeStart = 911014;             // 00911-014
inline constexpr uint32_t kStartHourMissing = 777001;           // 00777-001
inline constexpr uint32_t kStartHourInvalid = 777003;           // 00777-003
inline constexpr uint32_t kStartHourForbidden = 777005;         // 00777-005: hours outside EXT and FLX
inline constexpr uint32_t kEndHourMissing = 778001;             // 00778-001
inline constexpr uint32_t kEndHourInvalid = 778003;             // 00778-003
inline constexpr uint32_t kEndHourForbidden = 778005;           // 00778-005: hours outside EXT and FLX
inline constexpr uint32_t kEndHourBeforeStart = 778345;         // 00778-345: one day, ending before it starts
inline constexpr uint32_t kPlannedHoursMissing = 1135001;       // 01135-001
inline constexpr uint32_t kPlannedHoursInvalid = 1135003;       // 01135-003
inline constexpr uint32_t kPlannedHoursForbidden = 1135005;     // 01135-005
inline constexpr uint32_t kPeriodIdMissing = 913001;            // 00913-001
inline constexpr uint32_t kPeriodIdInvalid = 913003;            // 00913-003
inline constexpr uint32_t kPeriodUnknown = 913354;              // 00913-354
inline constexpr uint32_t kPeriodCancelled = 913355;            // 00913-355
inline constexpr uint32_t kPeriodClosed = 913356;               // 00913-356: an OUT on a period an OUT closed
inline constexpr uint32_t kUpdateCloses = 913359;               // 00913-359: an UPDATE may not close an open period
inline constexpr uint32_t kPlaceOfWorkForbidden = 776005;       // 00776-005: a place of work outside STU
inline constexpr uint32_t kInDuplicate = 90373333;
inline constexpr uint32_t kInOverlap = 90373334;
inline constexpr uint32_t kInQuarter = 90373421;
inline constexpr uint32_t kInLate = 90373460;                   // NP
inline constexpr uint32_t kUpdateOverlap = 90378334;
inline constexpr uint32_t kOutOverlap = 90377334;  // an OUT's new end meets another active period
inline constexpr uint32_t kUpdateEndRemoved = 90378368;
inline constexpr uint32_t kUpdateQuarter = 90378421;
inline constexpr uint32_t kUpdateNoChange = 90378444;
inline constexpr uint32_t kUserCompanyMissing = 90107351;       // JC 322 without a user company
inline constexpr uint32_t kUserCompanyBoth = 90107352;          // number and name together
inline constexpr uint32_t kUserCompanyNumberInvalid = 131003;   // 00131-003
inline constexpr uint32_t kUserCompanyNumberForbidden = 131005; // 00131-005: outside JC 322
inline constexpr uint32_t kUserCompanyNameForbidden = 153005;   // 00153-005: outside JC 322
// The indispensable zones of an address (block 90022), required for a user company given by name
// and for a student's place of work given by name: each missing one is "not present".
inline constexpr uint32_t kAddressStreetMissing = 517001;        // 00517-001
inline constexpr uint32_t kAddressHouseNumberMissing = 518001;   // 00518-001
inline constexpr uint32_t kAddressPostCodeMissing = 520001;      // 00520-001
inline constexpr uint32_t kAddressMunicipalityMissing = 522001;  // 00522-001
inline constexpr uint32_t kAddressCountryMissing = 523001;       // 00523-001
}  // namespace anomaly

// Zone 00910's domain of a start date, which the actions' dates share (action_decision.h): from
// 1920-01-01, and before the year ten years after `recorded_at`'s day in Brussels.
bool start_in_domain(Date start, Instant recorded_at);

// `remote`: what other partitions hold (remote_facts.h; null: the state is the whole ledger).
Decision decide(const LedgerState& state, const Declaration& declaration, Instant recorded_at,
                const RemoteFacts* remote = nullptr);

}  // namespace dimona
