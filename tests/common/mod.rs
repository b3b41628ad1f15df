//! Shared by the integration tests that drive engine workers on one
//! thread in virtual time: a generator worker and a responder worker over
//! a one-queue loopback.

use synwave::endpoint::{EndpointConfig, Reserve};
use synwave::engine::{Load, Opener, Phase, Role, Worker};
use synwave::flow::{PortAllocConfig, Reta, RssHasher, RssKey, SourcePortAllocator};
use synwave::io::loopback::{LoopPort, LoopbackConfig, loopback};
use synwave::scenario::{CLIENT_NET, SERVER_IP, SERVER_PORT, Scenario};
use synwave::tcp::Secrets;

/// A generator (client, one address) and a responder over a loopback.
pub fn worker_pair(
    scenario: &Scenario,
    concurrency: u64,
    rate: Option<f64>,
) -> (Worker<LoopPort>, Worker<LoopPort>) {
    worker_pair_with_ips(scenario, concurrency, rate, 1, 0)
}

/// `worker_pair` with `ips` client addresses from `CLIENT_NET`, the
/// generator's tables reserved (as `synwave bench` does) for
/// `time_wait` TIME-WAIT records when it is not 0.
pub fn worker_pair_with_ips(
    scenario: &Scenario,
    concurrency: u64,
    rate: Option<f64>,
    ips: u32,
    time_wait: usize,
) -> (Worker<LoopPort>, Worker<LoopPort>) {
    let (a, b) = loopback(&LoopbackConfig::default()).expect("loopback");
    let hasher = RssHasher::new(&RssKey::MICROSOFT);
    let reta = Reta::round_robin(1).expect("one worker");
    let ports = SourcePortAllocator::new(
        &hasher,
        &reta,
        1,
        0,
        &PortAllocConfig::new(CLIENT_NET, ips, SERVER_IP, SERVER_PORT),
    )
    .expect("source ports");
    let client_ep = scenario
        .client_side(EndpointConfig {
            ip_first: CLIENT_NET,
            ip_count: ips,
            report_released: true,
            reserve: if time_wait > 0 {
                Reserve {
                    connections: 2 * concurrency as usize + 4096,
                    time_wait,
                    prefault_time_wait: false,
                }
            } else {
                Reserve::default()
            },
            ..EndpointConfig::default()
        })
        .build(Secrets::from_seed(1));
    let client = Worker::new(
        a.into_iter().next().expect("queue"),
        client_ep.into(),
        Role::Generator(
            Opener::new(
                Load {
                    limit: None,
                    concurrency,
                    rate,
                    ramp_us: 0,
                },
                synwave::flow::ServerSet::single(ports),
                None,
            )
            .into(),
        ),
    );
    let server = Worker::new(
        b.into_iter().next().expect("queue"),
        scenario.server(2).into(),
        Role::Responder,
    );
    (client, server)
}

/// Polls both workers `n` times, `step_us` apart, from `*now`.
pub fn run_for(
    client: &mut Worker<LoopPort>,
    server: &mut Worker<LoopPort>,
    now: &mut u64,
    n: u64,
    step_us: u64,
    mut each: impl FnMut(&Worker<LoopPort>),
) {
    for _ in 0..n {
        *now += step_us;
        client.poll(*now, Phase::Run);
        server.poll(*now, Phase::Run);
        each(client);
    }
}
