"""The same agent-months as a per-agent Mesa model: agent-steps per second of both, and the ratio.

The per-agent model is the usual way to write a Mesa model: each migrant a Python object
(``mesa.Agent``), and each step every agent draws its own monthly event with the model's
random generator: a job seeker finds a job with probability ``job_finding``, a worker
loses it with probability ``job_loss`` (the monthly rates of the city preset's declared
jobs). It is a far simpler rule than the city's month, which runs about thirty mechanisms
(status, readiness, language, recognition, openings and the hiring rule, undeclared work,
ties, departures, welfare) and the nationals beside the migrants.

Both run in this process, one after the other, for the same agent-months: ``--migrants``
agents for ``--months`` steps. The city is built and warmed up first, outside the timing;
its agent-months are those of the reported months (migrants present at each month).

    python benchmarks/mesa_baseline.py [--migrants 100000] [--months 12] [--scenario eu27/baseline]
"""

import argparse
import time

import mesa


class Migrant(mesa.Agent):
    """One migrant as a Python object: searching or in work, one draw a month."""

    def __init__(self, model: "PerAgentModel", employed: bool):
        super().__init__(model)
        self.employed = employed

    def step(self) -> None:
        if self.employed:
            if self.random.random() < self.model.job_loss:
                self.employed = False
        elif self.random.random() < self.model.job_finding:
            self.employed = True


class PerAgentModel(mesa.Model):
    """Migrants as agents, each stepping on its own (``AgentSet.do``)."""

    def __init__(self, migrants: int, job_finding: float, job_loss: float, seed: int):
        super().__init__(rng=seed)
        self.job_finding, self.job_loss = job_finding, job_loss
        share = job_finding / (job_finding + job_loss)  # start at the steady state
        for _ in range(migrants):
            Migrant(self, self.random.random() < share)

    def step(self) -> None:
        self.agents.do("step")

    def employment_rate(self) -> float:
        return sum(agent.employed for agent in self.agents) / len(self.agents)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migrants", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--scenario", default="eu27/baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--job-finding", type=float, default=0.05, help="monthly probability for a job seeker")
    args = parser.parse_args()

    from sim.model import CityModel

    city = CityModel(args.scenario, rng=args.seed, migrants=args.migrants)  # set-up and warm-up, not timed
    job_loss = city.params.labour_market.job_loss_rate_per_month
    present = 0
    start = time.perf_counter()
    for _ in range(args.months):
        city.step()
        present += city.pop.count()
    city_s = time.perf_counter() - start

    per_agent = PerAgentModel(args.migrants, args.job_finding, job_loss, args.seed)
    start = time.perf_counter()
    for _ in range(args.months):
        per_agent.step()
    mesa_s = time.perf_counter() - start
    mesa_steps = args.migrants * args.months

    city_rate, mesa_rate = present / city_s, mesa_steps / mesa_s
    print(f"{'model':52s} {'agent-months':>13s} {'seconds':>8s} {'agent-steps/s':>14s}")
    print(f"{'per-agent Mesa ' + mesa.__version__ + ' (1 draw per agent-step)':52s} {mesa_steps:>13,} {mesa_s:>8.2f} "
          f"{mesa_rate:>14,.0f}")
    print(f"{'city model, ' + args.scenario + ' (whole month, nationals too)':52s} {present:>13,} {city_s:>8.2f} "
          f"{city_rate:>14,.0f}")
    print(f"ratio (city / per-agent): {city_rate / mesa_rate:.1f}x "
          f"(employment rates at the end: per-agent {per_agent.employment_rate():.3f}, "
          f"city {city.results()['employment_rate']:.3f})")


if __name__ == "__main__":
    main()
