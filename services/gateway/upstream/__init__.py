"""The upstream hop: the gateway calling a service. Every call to a service crosses it.

- `client`: HTTP/1.1 over kept-alive connections (`UpstreamClient`): pools, timeouts, spans;
- `connections`: one connection's protocol (parsed by httptools) and what a call gives back,
  an `Answer`, or `Unreachable` / `BadAnswer`;
- `resilience`: each service as an `Upstream` (timeout, retries, circuit breaker) and `send`,
  the one way to call it, so a slow or broken service fails fast for every caller;
- `forwarding`: the JSON API, `/api/<service>/...` passed on to the service and its answer back;
- `page_calls`: the web pages' calls, `call_service` (with the member's token) and
  `call_identity` (without it).
"""
