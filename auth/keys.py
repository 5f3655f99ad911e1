"""The ID-hash key (身份证号哈希密钥): present, or a clear refusal outside demo mode.

The key is TONGXIN_SECRET, or <data dir>/secret.key (mode 600). It is never in the repository.
`python -m etl init` (a real deployment) and `etl init-demo` create a random one; the deployment keeps it
backed up (same key = same person_key across loads, so a lost key breaks matching of new loads against
old ones). Only sources with ID numbers need it to land.
"""

MISSING = (
    "缺少身份证号哈希密钥：请设置环境变量 TONGXIN_SECRET，或把密钥文件（备份）放回数据目录的 secret.key（权限 600）；"
    "新部署请运行 python -m etl init。非示例数据没有密钥不能查看，含身份证号的数据不能导入。\n"
    "The ID-hash key is missing: set TONGXIN_SECRET or restore the key to <data dir>/secret.key (mode 600); "
    "a new deployment runs python -m etl init. Real (non-demo) data cannot be served without it, nor extracts "
    "with ID numbers landed."
)

