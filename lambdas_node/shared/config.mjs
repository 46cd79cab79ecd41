// The Node.js functions' configuration, the counterpart of lambdas/shared/config.py: the environment
// provisioning declares for each function (infra/stack.py, infra/reconcilers/lambda_.py) and the values of
// Lambda's runtime contract the shop's code needs. The functions read their environment only here.

export function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; provisioning sets it (infra/reconcilers/lambda_.py)`);
  return value;
}

// A switch provisioning turns on with "1" (AUDIT_AWS_CALLS).
export const flag = (name) => process.env[name] === '1';

// The runtime Lambda says this environment runs (AWS_Lambda_nodejs22.x).
export const executionEnv = () => process.env.AWS_EXECUTION_ENV;
