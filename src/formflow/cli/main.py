"""The ``formflow`` command group and :func:`main`, the one place exceptions become exit codes."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from formflow.errors import EXIT_BUG, EXIT_CANNOT_WRITE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, FormflowError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="formflow")
def cli() -> None:
    """formflow — 物业客服中心的离线表单与流程 offline forms and procedures for a property office.

    \b
    快速开始 Quick start:
      formflow init 我的管理处      建立工作区 create a workspace
      formflow check               检查表单和流程定义 check the definitions
      formflow new complaint       生成填写模板 write a fill-in template
      formflow validate 文件.yaml   检查填好的表单 check a filled form
    """



def main(argv: list[str] | None = None) -> int:
    """Run the CLI; the one place exceptions become exit codes."""
    try:
        code = cli.main(args=argv, prog_name="formflow", standalone_mode=False)
        if isinstance(code, int):  # click returns a command's ctx.exit(code) instead of raising
            return code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except FormflowError as exc:
        click.echo(str(exc), err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:
        from formflow.adapters.atomic import is_write_fault, write_fault_text

        if not is_write_fault(exc):
            click.echo("formflow 内部错误 internal error — 这是程序缺陷，请把下面的信息发给维护人员:", err=True)
            traceback.print_exc()
            return EXIT_BUG
        # Disk full, read-only: not a bug, and nothing is lost; the user frees space and runs it again.
        click.echo(f"✗ 写入故障 cannot write：{write_fault_text(exc, Path.cwd())}；请处理后重新运行", err=True)
        return EXIT_CANNOT_WRITE
    except Exception:  # a bug: say so plainly, keep the details for the report
        click.echo("formflow 内部错误 internal error — 这是程序缺陷，请把下面的信息发给维护人员:", err=True)
        traceback.print_exc()
        return EXIT_BUG
    return EXIT_OK




def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
