-- wrk script for bench/http-referrals.sh: POST /api/v1/referrals with a different person each
-- time. Names come from small pools and dates of birth from forty years, so the duplicate
-- check finds real candidates (same surname, nearby birthdays) as the table grows, as it
-- would at a custody desk; an occasional likely match answers 422, which wrk counts as
-- non-2xx.

local token = os.getenv("CHECKPOINT_TOKEN") or ""

local given = { "Jordan", "Casey", "Riley", "Alex", "Sam", "Morgan", "Taylor", "Jamie",
  "Charlie", "Robin", "Ashley", "Drew", "Harper", "Rowan", "Quinn", "Skyler", "Emeka",
  "Aisha", "Priya", "Tomasz", "Ines", "Kwame", "Mei", "Omar", "Sinead" }
local family = { "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
  "Davies", "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts",
  "Green", "Hall", "Thomas", "Clarke", "Jackson", "Wood", "Harris", "Edwards", "Turner",
  "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison",
  "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker",
  "James", "Bennett", "Young", "Phillips", "Richardson", "Mitchell", "Begum", "Ahmed",
  "Kowalski", "Nowak", "Okafor", "Mensah", "Chen", "Nguyen", "Murphy", "Kelly" }

local template = [[{"scheme_id":"durham-checkpoint","referral":{
"referral_date":"2026-03-04","custody_reference":"BENCH/%d/%d",
"person":{"given_name":"%s","family_name":"%s%s","date_of_birth":"%04d-%02d-%02d","sex":"male",
"ethnicity_self_defined":"white_british","ethnicity_officer_observed":"white",
"postcode":"DH1 9ZX","resides_in_force_area":true},
"offence":{"category":"theft","home_office_code":"46","description":"Shop theft (synthetic)",
"offence_date":"2026-03-02","committed_in_force_area":true,"mode_of_trial":"either_way",
"gravity":{"base":2,"aggravating":false,"mitigating":true},"hate_crime":false,
"domestic_related":false,"victim":{"views":"no_objection","wants_restorative_justice":false}},
"interview":"admitted","evidence_sufficient_to_charge":true,"previous_convictions":1,
"circumstances":{"detained_for_court":false,"detained_under_mental_health_act":false,
"subject_to_court_order":false,"on_bail_for_other_matters":false,
"under_statutory_supervision":false,"co_accused":false},
"risk":{"tool":"HART 2","band":"moderate","officer_band":"moderate"},
"vulnerabilities":["substance_misuse"],"earlier_participation":[]}}]]

local next_thread = 1
function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local sent = 0
function init(args)
  math.randomseed(thread_number * 7919 + os.time())
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- A double-barrelled surname now and then keeps some family names unique.
local suffixes = { "", "", "", "", "-Hall", "-Khan", "-Wood", "-Green" }

function request()
  sent = sent + 1
  local body = string.format(template, thread_number, sent,
    given[math.random(#given)],
    family[math.random(#family)], suffixes[math.random(#suffixes)],
    math.random(1966, 2005), math.random(12), math.random(28))
  return wrk.format(nil, "/api/v1/referrals", nil, body)
end
