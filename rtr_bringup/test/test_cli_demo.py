"""``rtr demo`` and ``rtr eval open-loop`` on the command line: options and errors (the runs
themselves are tested in test/test_demo.py)."""

from rtr_bringup.cli.main import build_parser, main


def test_demo_options():
    args = build_parser().parse_args(['demo', '--retrain', '--real-time', '--name', 'x'])
    assert args.retrain and args.real_time and args.name == 'x' and not args.save_checkpoints
    args = build_parser().parse_args(['eval', 'open-loop', '--bag', 'a', 'b', '--policy', 'p.pt',
                                      '--out', 'o'])
    assert args.bag == ['a', 'b'] and args.stride == 24 and args.interpolation is None


def test_demo_config_errors_name_the_file(tmp_path, capsys):
    assert main(['demo', '--config', str(tmp_path / 'missing.yaml')]) == 2
    assert 'missing.yaml: no such config file' in capsys.readouterr().err
    bad = tmp_path / 'bad.yaml'
    bad.write_text('latency: {low: 0.3, high: 0.1}\n')
    assert main(['demo', '--config', str(bad)]) == 2
    assert 'latency' in capsys.readouterr().err
