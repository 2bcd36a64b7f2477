-- wrk script of bench/http/reads_under_writes.sh: POST /v1/declarations, the same STU IN each
-- time (after the first, refused as a duplicate, 90373-333: still a decision, an event and a
-- commit each), with the declarant's token from the environment (TOKEN).
wrk.method = "POST"
wrk.path = "/v1/declarations"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = '{"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"04070101124"},' ..
           '"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},' ..
           '"startDate":"2025-08-01","endDate":"2025-08-31","plannedHoursNumber":40}}'
