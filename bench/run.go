package bench

import (
	"context"
	"fmt"
)

// ScenarioNames lists the scenarios Run accepts.
func ScenarioNames() []string { return []string{"echo", "fanout", "idle", "failover"} }

// ScenarioConfigs holds every scenario's configuration; Run uses the one
// named.
type ScenarioConfigs struct {
	Echo     EchoConfig
	Fanout   FanoutConfig
	Idle     IdleConfig
	Failover FailoverConfig
}

// Run runs the named scenario.
func Run(ctx context.Context, scenario string, env Env, cfg ScenarioConfigs) (*Result, error) {
	switch scenario {
	case "echo":
		return RunEcho(ctx, env, cfg.Echo)
	case "fanout":
		return RunFanout(ctx, env, cfg.Fanout)
	case "idle":
		return RunIdle(ctx, env, cfg.Idle)
	case "failover":
		return RunFailover(ctx, env, cfg.Failover)
	}
	return nil, fmt.Errorf("%w: unknown scenario %q (want one of %v)", ErrBadConfig, scenario, ScenarioNames())
}
